//! Name similarity between a tenant and a client.
//!
//! Names are compared word by word rather than as one character string: two names that share a
//! first word but differ in the word that says what the business is ("Alpha Health" and "Alpha
//! Wealth", "Acme Dental" and "Acme Rental") must score clearly lower than two spellings of the
//! same name, while a name and its longer form ("Acme" and "Acme Corp", "Acme" and "Acme Dental
//! Group") score high. A typo inside a long word still counts, a different first letter does not.

use serde::{Deserialize, Serialize};

use super::names::{NormalizedName, acronym, acronym_with_suffixes, normalize_name, token_weight};

/// The score given when a tenant's `*.onmicrosoft.com` label spells a client's name: a hint
/// only, below a real name match.
pub const ONMICROSOFT_LABEL_SCORE: f64 = 0.85;
/// The score when one name is the other's initials (`IBM` and `International Business Machines`).
pub const ACRONYM_SCORE: f64 = 0.9;
/// The score when the names differ only in spacing (`Micro Soft` and `Microsoft`).
pub const JOINED_WORDS_SCORE: f64 = 0.95;
/// The credit of a word that differs by one typo from the other side's word.
const TYPO_FACTOR: f64 = 0.95;
/// Words shorter than this must match exactly: one letter changes the meaning of short words.
pub const TYPO_MIN_LEN: usize = 5;
/// Words longer than this (in bytes) must match exactly: no real word is that long, and the
/// bound keeps typo comparisons and the typo index cheap.
pub const TYPO_MAX_LEN: usize = 64;

/// How a name score was obtained, reported in a suggestion's evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameMethod {
    /// Weighted word overlap.
    Tokens,
    /// The same letters with different spacing.
    JoinedWords,
    /// One name is the initials of the other.
    Acronym,
    /// The tenant's `*.onmicrosoft.com` label spells the client's name.
    OnmicrosoftLabel,
}

/// A name normalized once and reused across many comparisons.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedName {
    pub name: NormalizedName,
    weights: Vec<f64>,
    total: f64,
    /// Initials of a name of two or more words, without and with its legal-form words.
    pub acronyms: Vec<String>,
}

impl PreparedName {
    /// Normalizes and prepares `raw`.
    pub fn new(raw: &str) -> Self {
        Self::from_normalized(normalize_name(raw))
    }

    /// Prepares an already normalized name.
    pub fn from_normalized(name: NormalizedName) -> Self {
        let weights: Vec<f64> = name.tokens.iter().map(|t| token_weight(t)).collect();
        let total = weights.iter().sum();
        let mut acronyms = Vec::new();
        if name.tokens.len() >= 2 {
            acronyms.extend(acronym(&name));
        }
        if name.tokens.len() + name.suffixes.len() >= 2 {
            acronyms.extend(acronym_with_suffixes(&name));
        }
        acronyms.dedup();
        Self {
            name,
            weights,
            total,
            acronyms,
        }
    }
}

impl PreparedName {
    /// The summed weight of the name's words.
    pub fn total(&self) -> f64 {
        self.total
    }

    /// Each word with its weight.
    pub fn weighted_tokens(&self) -> impl Iterator<Item = (&str, f64)> {
        self.name
            .tokens
            .iter()
            .map(String::as_str)
            .zip(self.weights.iter().copied())
    }
}

/// The word-overlap score for a matched weight `matched` between names of total weights
/// `total_a` and `total_b`. Increasing in `matched`, so an over-estimate of the matched weight
/// gives an upper bound of the score (used to skip clients that cannot reach a threshold).
pub fn overlap_score(matched: f64, total_a: f64, total_b: f64) -> f64 {
    if total_a <= 0.0 || total_b <= 0.0 {
        return 0.0;
    }
    let dice = 2.0 * matched / (total_a + total_b);
    let containment = matched / total_a.min(total_b);
    ((dice + containment.min(1.0)) / 2.0).min(1.0)
}

/// A name score in `0.0..=1.0` and how it was reached.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NameScore {
    pub score: f64,
    pub method: NameMethod,
}

/// Similarity of two words: 1 when equal, a reduced credit for one typo in a long word that
/// keeps its first letter, else 0.
pub fn token_similarity(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    let (la, lb) = (a.len(), b.len());
    if la < TYPO_MIN_LEN || lb < TYPO_MIN_LEN || la.abs_diff(lb) > 1 {
        return 0.0;
    }
    if la > TYPO_MAX_LEN || lb > TYPO_MAX_LEN {
        return 0.0;
    }
    if a.as_bytes().first() != b.as_bytes().first() {
        return 0.0;
    }
    if strsim::osa_distance(a, b) == 1 {
        let longest = la.max(lb) as f64;
        (1.0 - 1.0 / longest) * TYPO_FACTOR
    } else {
        0.0
    }
}

/// Weighted word overlap: the mean of the Dice coefficient (how much of both names is shared)
/// and the containment (how much of the shorter name is found in the longer one).
fn token_overlap(a: &PreparedName, b: &PreparedName) -> f64 {
    if a.total <= 0.0 || b.total <= 0.0 {
        return 0.0;
    }
    let mut used = vec![false; b.name.tokens.len()];
    let mut matched = 0.0;
    for (ta, wa) in a.name.tokens.iter().zip(&a.weights) {
        let mut best: Option<(usize, f64)> = None;
        for (j, tb) in b.name.tokens.iter().enumerate() {
            if used.get(j).copied().unwrap_or(true) {
                continue;
            }
            let sim = token_similarity(ta, tb);
            if sim > 0.0 && best.is_none_or(|(_, s)| sim > s) {
                best = Some((j, sim));
                if sim >= 1.0 {
                    break;
                }
            }
        }
        if let Some((j, sim)) = best {
            if let Some(slot) = used.get_mut(j) {
                *slot = true;
            }
            let wb = b.weights.get(j).copied().unwrap_or(1.0);
            matched += sim * (wa + wb) / 2.0;
        }
    }
    overlap_score(matched, a.total, b.total)
}

fn is_acronym_of(short: &PreparedName, long: &PreparedName) -> bool {
    short.name.tokens.len() == 1
        && (2..=6).contains(&short.name.compact.len())
        && long.acronyms.contains(&short.name.compact)
}

/// Scores the names of a tenant and a client.
pub fn score_names(tenant: &PreparedName, client: &PreparedName) -> NameScore {
    if tenant.name.is_empty() || client.name.is_empty() {
        return NameScore {
            score: 0.0,
            method: NameMethod::Tokens,
        };
    }
    let mut best = NameScore {
        score: token_overlap(tenant, client),
        method: NameMethod::Tokens,
    };
    if best.score < JOINED_WORDS_SCORE
        && tenant.name.compact == client.name.compact
        && tenant.name.tokens != client.name.tokens
    {
        best = NameScore {
            score: JOINED_WORDS_SCORE,
            method: NameMethod::JoinedWords,
        };
    }
    if best.score < ACRONYM_SCORE
        && (is_acronym_of(tenant, client) || is_acronym_of(client, tenant))
    {
        best = NameScore {
            score: ACRONYM_SCORE,
            method: NameMethod::Acronym,
        };
    }
    best
}

/// Scores a tenant's `*.onmicrosoft.com` label against a client's name: only an exact spelling
/// of the name (with or without its legal suffix) counts.
pub fn score_label(label: &str, client: &PreparedName) -> Option<NameScore> {
    let spelled = !client.name.compact.is_empty()
        && (label == client.name.compact || label == client.name.compact_with_suffixes);
    spelled.then_some(NameScore {
        score: ONMICROSOFT_LABEL_SCORE,
        method: NameMethod::OnmicrosoftLabel,
    })
}

/// Convenience for one-off comparisons of two raw names.
pub fn name_similarity(a: &str, b: &str) -> f64 {
    score_names(&PreparedName::new(a), &PreparedName::new(b)).score
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn true_matches_score_high() {
        for (a, b) in [
            ("Acme", "Acme Corp"),
            ("Acme Inc.", "ACME Corporation"),
            ("Müller GmbH", "Mueller"),
            ("Muller", "Müller AG"),
            ("Smith & Sons", "Smith and Sons Ltd"),
            ("The Fabrikam Company", "Fabrikam"),
        ] {
            assert_eq!(name_similarity(a, b), 1.0, "{a} / {b}");
        }
    }

    #[test]
    fn hard_negatives_score_clearly_below_true_matches() {
        for (a, b) in [
            ("Alpha Health", "Alpha Wealth"),
            ("Acme Dental", "Acme Rental"),
            ("Northwind Traders", "Northwind Health"),
            ("Global Services", "Global Solutions"),
        ] {
            let score = name_similarity(a, b);
            assert!(score <= 0.5, "{a} / {b}: {score}");
        }
    }

    #[test]
    fn a_longer_form_scores_above_a_different_business() {
        let longer = name_similarity("Acme Dental", "Acme Dental Group");
        let other = name_similarity("Acme Dental", "Acme Rental Group");
        assert!(longer > 0.9, "{longer}");
        assert!(other < 0.5, "{other}");
    }

    #[test]
    fn one_typo_in_a_long_word_counts_but_not_a_new_first_letter() {
        assert!(name_similarity("Contoso Pharma", "Contosso Pharma") > 0.9);
        assert_eq!(token_similarity("health", "wealth"), 0.0);
        assert_eq!(token_similarity("dental", "rental"), 0.0);
        assert_eq!(token_similarity("acme", "acne"), 0.0);
        assert!(token_similarity("contoso", "contsoo") > 0.8);
        let long = "a".repeat(TYPO_MAX_LEN);
        assert!(token_similarity(&long, &format!("{long}b")) == 0.0);
        assert!(token_similarity(&long[1..], &format!("{}b", &long[1..])) > 0.9);
    }

    #[test]
    fn acronym_rule() {
        let a = PreparedName::new("IBM");
        let b = PreparedName::new("International Business Machines Corporation");
        assert_eq!(score_names(&a, &b).method, NameMethod::Acronym);
        assert_eq!(score_names(&b, &a).score, ACRONYM_SCORE);
        assert!(name_similarity("IBM", "Ideal Bakery Markets Consulting") < ACRONYM_SCORE);
        assert_eq!(
            name_similarity("ABC", "American Broadcasting Company"),
            ACRONYM_SCORE
        );
    }

    #[test]
    fn joined_words() {
        let s = score_names(
            &PreparedName::new("Micro Soft"),
            &PreparedName::new("Microsoft"),
        );
        assert_eq!(s.method, NameMethod::JoinedWords);
        assert_eq!(s.score, JOINED_WORDS_SCORE);
    }

    #[test]
    fn onmicrosoft_label_must_spell_the_name() {
        let client = PreparedName::new("Contoso Ltd");
        assert!(score_label("contoso", &client).is_some());
        assert!(score_label("contosoltd", &client).is_some());
        assert!(score_label("contosogroup", &client).is_none());
    }

    #[test]
    fn huge_names_compare_without_quadratic_work() {
        // 200,000 words a side: comparing every word with every word would take hours.
        let many = "acme dental ".repeat(100_000);
        assert_eq!(name_similarity(&many, &many), 1.0);
        let word = "contoso".repeat(50_000);
        assert_eq!(name_similarity(&word, &format!("{word}x")), 1.0);
    }

    #[test]
    fn empty_names_never_match() {
        assert_eq!(name_similarity("", "Acme"), 0.0);
        assert_eq!(name_similarity("!!!", "???"), 0.0);
    }
}
