//! Name similarity between a tenant and a client.
//!
//! Names are compared word by word rather than as one character string: two names that share a
//! first word but differ in the word that says what the business is ("Alpha Health" and "Alpha
//! Wealth", "Acme Dental" and "Acme Rental") must score clearly lower than two spellings of the
//! same name, while a name and its longer form ("Acme" and "Acme Corp", "Acme" and "Acme Dental
//! Group") score high. A typo inside a long word still counts, a different first letter does not.

use std::hash::{DefaultHasher, Hasher};

use serde::{Deserialize, Serialize};

use super::names::{
    NormalizedName, acronym, acronym_with_suffixes, normalize_name, spelled_out, token_weight,
};

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
/// The credit of a word that the other name writes cut short (`Instr.` for `Instruments`): a
/// little below a spelled-out match, so the full spelling ranks first.
const PREFIX_FACTOR: f64 = 0.9;
/// An undotted cut must keep at least this many letters (`Ins` for `Insurance`; `In` is a word).
const PREFIX_MIN_LEN: usize = 3;
/// A cut written with a closing dot is plainly an abbreviation and may be shorter (`Tr.` for
/// `Trust`).
const DOTTED_PREFIX_MIN_LEN: usize = 2;

/// Which abbreviation rule made two words agree, reported in a suggestion's evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbbreviationRule {
    /// The table of business abbreviations (`Sys` = `Systems`), see
    /// [`super::names::ABBREVIATIONS`].
    Table,
    /// One word is a cut of the other at the same position, after the same first word
    /// (`Instr.` = `Instruments`).
    Prefix,
}

/// One abbreviation used to compare a tenant's name with a client's name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AbbreviationUse {
    /// The tenant's word as written (folded).
    pub tenant_word: String,
    /// The client's word as written (folded).
    pub client_word: String,
    pub rule: AbbreviationRule,
}

/// How a name score was obtained, reported in a suggestion's evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameMethod {
    /// Weighted word overlap.
    #[default]
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
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NameScore {
    pub score: f64,
    pub method: NameMethod,
    /// The two names are equal after normalization (same tokens in the same order): score 1.0,
    /// and such a client always ranks first.
    pub exact: bool,
    /// The abbreviations that made words agree, in the tenant's word order.
    pub abbreviations: Vec<AbbreviationUse>,
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

/// Whether one of `a` and `b` writes the other cut short, and which is the cut: `Some(true)`
/// when `a` is the cut. A cut keeps at least [`PREFIX_MIN_LEN`] letters, or
/// [`DOTTED_PREFIX_MIN_LEN`] when written with a dot.
fn cut_of(a: &str, a_dotted: bool, b: &str, b_dotted: bool) -> Option<bool> {
    let long_enough = |len: usize, dotted: bool| {
        len >= PREFIX_MIN_LEN || (dotted && len >= DOTTED_PREFIX_MIN_LEN)
    };
    if a.len() < b.len() && b.starts_with(a) && long_enough(a.len(), a_dotted) {
        Some(true)
    } else if b.len() < a.len() && a.starts_with(b) && long_enough(b.len(), b_dotted) {
        Some(false)
    } else {
        None
    }
}

/// Blocking keys of the cut and other-meaning rules: the first word, a later position and the
/// first two letters of the word there. Two names that may agree through a cut (`Texas Instr.`
/// and `Texas Instruments`) share a key, so an index can find them without comparing every pair.
pub fn cut_keys(name: &NormalizedName) -> impl Iterator<Item = u64> + '_ {
    let first = name.tokens.first();
    name.tokens
        .iter()
        .enumerate()
        .skip(1)
        .filter_map(move |(position, token)| {
            let first = first?;
            let mut hasher = DefaultHasher::new();
            hasher.write(first.as_bytes());
            hasher.write_u8(0xff);
            hasher.write_usize(position);
            for ch in token.chars().take(2) {
                hasher.write_u32(u32::from(ch));
            }
            Some(hasher.finish())
        })
}

/// Whether a table abbreviation written on one side has the other side's word among its
/// further meanings (`Assoc` and `Association`).
fn other_meaning(written: &str, token: &str) -> bool {
    spelled_out(written).is_some_and(|forms| forms.iter().skip(1).any(|f| *f == token))
}

/// How a word of the tenant agrees with a word of the client, when not equal.
fn word_agreement(
    a: &PreparedName,
    i: usize,
    b: &PreparedName,
    j: usize,
) -> Option<(f64, Option<AbbreviationRule>)> {
    let (ta, tb) = (a.name.tokens.get(i)?, b.name.tokens.get(j)?);
    let (wa, wb) = (a.name.written_at(i), b.name.written_at(j));
    if other_meaning(wa, tb) || other_meaning(wb, ta) {
        return Some((1.0, Some(AbbreviationRule::Table)));
    }
    // A cut counts at the same position behind the same first word, so a name sharing only its
    // first word with another never gains from it.
    if i == j && i >= 1 && a.name.tokens.first() == b.name.tokens.first() {
        let dotted = |n: &PreparedName, k: usize| n.name.dotted.get(k).copied().unwrap_or(false);
        if cut_of(ta, dotted(a, i), tb, dotted(b, j)).is_some() {
            return Some((PREFIX_FACTOR, Some(AbbreviationRule::Prefix)));
        }
    }
    let typo = token_similarity(ta, tb);
    (typo > 0.0).then_some((typo, None))
}

/// Weighted word overlap: the mean of the Dice coefficient (how much of both names is shared)
/// and the containment (how much of the shorter name is found in the longer one).
///
/// Equal words are paired first, then the remaining words by the best of: another meaning of a
/// table abbreviation, a cut at the same position, one typo. Returns the score and the
/// abbreviations used.
fn token_overlap(a: &PreparedName, b: &PreparedName) -> (f64, Vec<AbbreviationUse>) {
    if a.total <= 0.0 || b.total <= 0.0 {
        return (0.0, Vec::new());
    }
    let mut used = vec![false; b.name.tokens.len()];
    let mut pair_of: Vec<Option<(usize, f64, Option<AbbreviationRule>)>> =
        vec![None; a.name.tokens.len()];
    for (i, ta) in a.name.tokens.iter().enumerate() {
        let found = b
            .name
            .tokens
            .iter()
            .enumerate()
            .find(|(j, tb)| *tb == ta && !used.get(*j).copied().unwrap_or(true));
        if let Some((j, _)) = found {
            if let Some(slot) = used.get_mut(j) {
                *slot = true;
            }
            let spelled = a.name.written_at(i) != b.name.written_at(j)
                && (a.name.written_at(i) != ta || b.name.written_at(j) != ta);
            if let Some(slot) = pair_of.get_mut(i) {
                *slot = Some((j, 1.0, spelled.then_some(AbbreviationRule::Table)));
            }
        }
    }
    for i in 0..a.name.tokens.len() {
        if pair_of.get(i).is_some_and(Option::is_some) {
            continue;
        }
        let mut best: Option<(usize, f64, Option<AbbreviationRule>)> = None;
        for j in 0..b.name.tokens.len() {
            if used.get(j).copied().unwrap_or(true) {
                continue;
            }
            if let Some((sim, rule)) = word_agreement(a, i, b, j)
                && best.is_none_or(|(_, s, _)| sim > s)
            {
                best = Some((j, sim, rule));
            }
        }
        if let Some((j, _, _)) = best
            && let Some(slot) = used.get_mut(j)
        {
            *slot = true;
        }
        if let Some(slot) = pair_of.get_mut(i) {
            *slot = best;
        }
    }
    let mut matched = 0.0;
    let mut abbreviations = Vec::new();
    for (i, pair) in pair_of.iter().enumerate() {
        let Some((j, sim, rule)) = *pair else {
            continue;
        };
        let wa = a.weights.get(i).copied().unwrap_or(1.0);
        let wb = b.weights.get(j).copied().unwrap_or(1.0);
        matched += sim * (wa + wb) / 2.0;
        if let Some(rule) = rule {
            abbreviations.push(AbbreviationUse {
                tenant_word: a.name.written_at(i).to_string(),
                client_word: b.name.written_at(j).to_string(),
                rule,
            });
        }
    }
    (overlap_score(matched, a.total, b.total), abbreviations)
}

fn is_acronym_of(short: &PreparedName, long: &PreparedName) -> bool {
    short.name.tokens.len() == 1
        && (2..=6).contains(&short.name.compact.len())
        && long.acronyms.contains(&short.name.compact)
}

/// Scores the names of a tenant and a client.
pub fn score_names(tenant: &PreparedName, client: &PreparedName) -> NameScore {
    if tenant.name.is_empty() || client.name.is_empty() {
        return NameScore::default();
    }
    let (score, abbreviations) = token_overlap(tenant, client);
    let exact = tenant.name.tokens == client.name.tokens;
    let mut best = NameScore {
        score: if exact { 1.0 } else { score },
        method: NameMethod::Tokens,
        exact,
        abbreviations,
    };
    if best.score < JOINED_WORDS_SCORE
        && tenant.name.compact == client.name.compact
        && tenant.name.tokens != client.name.tokens
    {
        best = NameScore {
            score: JOINED_WORDS_SCORE,
            method: NameMethod::JoinedWords,
            ..NameScore::default()
        };
    }
    if best.score < ACRONYM_SCORE
        && (is_acronym_of(tenant, client) || is_acronym_of(client, tenant))
    {
        best = NameScore {
            score: ACRONYM_SCORE,
            method: NameMethod::Acronym,
            ..NameScore::default()
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
        ..NameScore::default()
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

    fn abbreviations(tenant: &str, client: &str) -> NameScore {
        score_names(&PreparedName::new(tenant), &PreparedName::new(client))
    }

    #[test]
    fn table_abbreviations_make_names_equal_and_say_so() {
        for (tenant, client, tenant_word, client_word) in [
            (
                "Intrepid Control Sys, Inc",
                "Intrepid Control Systems, Inc.",
                "sys",
                "systems",
            ),
            (
                "TEKTELIC Comms Inc.",
                "TEKTELIC Communications Inc.",
                "comms",
                "communications",
            ),
            ("Melrose Inds", "Melrose Industries", "inds", "industries"),
            (
                "Core Labs Corp.",
                "Core Laboratories",
                "labs",
                "laboratories",
            ),
            ("Cisco Systems", "Cisco Sys", "systems", "sys"),
            ("Acme Svc", "Acme Svcs", "svc", "svcs"),
        ] {
            let s = abbreviations(tenant, client);
            assert_eq!(s.score, 1.0, "{tenant} / {client}");
            assert!(s.exact, "{tenant} / {client}");
            assert_eq!(
                s.abbreviations,
                vec![AbbreviationUse {
                    tenant_word: tenant_word.into(),
                    client_word: client_word.into(),
                    rule: AbbreviationRule::Table,
                }],
                "{tenant} / {client}"
            );
        }
        // The same abbreviation on both sides is no rule at work.
        assert!(
            abbreviations("Acme Intl", "ACME INTL")
                .abbreviations
                .is_empty()
        );
    }

    #[test]
    fn another_meaning_of_an_ambiguous_abbreviation_counts_as_the_table() {
        let s = abbreviations(
            "American Automotive Assoc.",
            "American Automotive Association",
        );
        assert_eq!(s.score, 1.0);
        assert!(!s.exact, "assoc is spelled associates in the tokens");
        assert_eq!(
            s.abbreviations.first().map(|a| a.rule),
            Some(AbbreviationRule::Table)
        );
    }

    #[test]
    fn a_cut_word_after_the_same_first_word_counts_with_the_prefix_rule() {
        for (tenant, client, cut) in [
            ("Texas Instr.", "Texas Instruments", "instr"),
            ("Lattice Semicond", "Lattice Semiconductor", "semicond"),
            (
                "Kirby Risk Electrical Supply",
                "Kirby Risk Electrical Sup.",
                "sup",
            ),
            ("Acme Tr.", "Acme Trust", "tr"),
        ] {
            let s = abbreviations(tenant, client);
            assert!(s.score >= 0.9, "{tenant} / {client}: {}", s.score);
            assert!(
                s.score < 1.0,
                "{tenant} / {client}: the full spelling ranks first"
            );
            let used = s.abbreviations.first().expect("a rule fired");
            assert_eq!(used.rule, AbbreviationRule::Prefix);
            assert!(used.tenant_word == cut || used.client_word == cut);
        }
    }

    #[test]
    fn cuts_do_not_turn_hard_negatives_into_matches() {
        for (tenant, client) in [
            // A table abbreviation has one meaning: `Med` is medical, never media.
            ("Delta Med. Co.", "Delta Media Group"),
            ("Cascade Eng", "Cascade Energy"),
            ("Lincoln Finl", "Lincoln Electric"),
            // Too short undotted, at the first position, or behind another first word.
            ("Acme In", "Acme Insurance"),
            ("Gran Bakery", "Granite Bakery"),
            ("Zenith Instr.", "Texas Instruments"),
            ("Alpha Health", "Alpha Wealth"),
        ] {
            let s = abbreviations(tenant, client);
            assert!(s.score <= 0.5, "{tenant} / {client}: {}", s.score);
            assert!(s.abbreviations.is_empty(), "{tenant} / {client}");
        }
    }

    #[test]
    fn exact_means_the_same_words_in_the_same_order() {
        assert!(abbreviations("NCR Voyix Corporation", "NCR Voyix").exact);
        let swapped = abbreviations("Voyix NCR", "NCR Voyix");
        assert_eq!(swapped.score, 1.0);
        assert!(!swapped.exact);
        assert!(!abbreviations("Micro Soft", "Microsoft").exact);
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
