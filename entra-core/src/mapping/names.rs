//! Organisation name normalization.
//!
//! A tenant's display name and a client's CRM name are typed by different people in different
//! systems: `Müller GmbH`, `MUELLER`, `The Smith & Sons Co.`. Normalization removes what does not
//! identify the organisation (accents and transliterations, punctuation, a leading "the", legal
//! form suffixes) so that the scorer compares only the distinctive words.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// A name reduced to comparable tokens.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NormalizedName {
    /// Distinctive words, lowercase ASCII-folded, legal suffixes and a leading "the" removed.
    pub tokens: Vec<String>,
    /// The tokens joined without separators: `Micro Soft` and `Microsoft` agree here.
    pub compact: String,
    /// The compact form before legal suffixes were removed (`contosoltd`), to meet tenant labels
    /// such as `contosoltd.onmicrosoft.com`.
    pub compact_with_suffixes: String,
    /// The legal-form words removed from the end (`["co", "kg"]`), kept for acronyms such as
    /// `ABC` for `American Broadcasting Company`.
    pub suffixes: Vec<String>,
}

impl NormalizedName {
    /// The normalized words separated by single spaces, as shown in evidence.
    pub fn display(&self) -> String {
        self.tokens.join(" ")
    }

    /// Whether nothing distinctive remained.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

/// Legal-form words (already folded and with dots removed) of common jurisdictions. They are
/// dropped only at the end of a name, so `Company Name Co` loses `co` but `Co-op Foods` keeps it.
const LEGAL_SUFFIXES: &[&str] = &[
    "ab",
    "ag",
    "aps",
    "as",
    "asa",
    "bhd",
    "bv",
    "bvba",
    "co",
    "company",
    "corp",
    "corporation",
    "cv",
    "cvba",
    "doo",
    "ev",
    "gbr",
    "gmbh",
    "inc",
    "incorporated",
    "kft",
    "kg",
    "kgaa",
    "kk",
    "lc",
    "lda",
    "limited",
    "llc",
    "llp",
    "lp",
    "ltd",
    "ltda",
    "mbh",
    "nv",
    "ohg",
    "oy",
    "oyj",
    "pc",
    "plc",
    "pllc",
    "pte",
    "pty",
    "pvt",
    "sa",
    "sab",
    "sarl",
    "sas",
    "sdn",
    "se",
    "sl",
    "slu",
    "spa",
    "sprl",
    "srl",
    "sro",
    "ug",
    "vof",
];

/// Words that may sit inside a run of legal suffixes (`GmbH & Co. KG`, `S.A. de C.V.`).
const SUFFIX_JOINERS: &[&str] = &["and", "de"];

/// Folds one character to lowercase ASCII letters and digits; other characters become spaces,
/// except apostrophes, dots and slashes, which vanish so `O'Brien`, `I.B.M.` and `A/S` stay one
/// word.
fn fold_into(text: &str, out: &mut String) {
    if text.is_ascii() {
        // Nothing to decompose: skip the Unicode normalization pass.
        for ch in text.chars() {
            fold_char(ch, out);
        }
        return;
    }
    for ch in text.nfkd() {
        if !is_combining_mark(ch) {
            fold_char(ch, out);
        }
    }
}

fn fold_char(ch: char, out: &mut String) {
    match ch {
        'a'..='z' | '0'..='9' => out.push(ch),
        'A'..='Z' => out.push(ch.to_ascii_lowercase()),
        '&' | '+' => out.push_str(" and "),
        '\'' | '\u{2019}' | '\u{2018}' | '`' | '.' | '/' => {}
        'ß' => out.push_str("ss"),
        'æ' | 'Æ' => out.push_str("ae"),
        'œ' | 'Œ' => out.push_str("oe"),
        'ø' | 'Ø' => out.push('o'),
        'ł' | 'Ł' => out.push('l'),
        'đ' | 'Đ' | 'ð' | 'Ð' => out.push('d'),
        'þ' | 'Þ' => out.push_str("th"),
        'ı' => out.push('i'),
        other if other.is_alphanumeric() => {
            // Letters outside Latin (Greek, Cyrillic, CJK, ...) are kept, lowercased.
            out.extend(other.to_lowercase());
        }
        _ => out.push(' '),
    }
}

/// German transliterations: `Müller` folds to `muller` while `Mueller` is spelled out; reducing
/// `ae`/`oe`/`ue` to the vowel on both sides makes the two spellings agree.
fn fold_digraphs(token: &str) -> String {
    let bytes = token.as_bytes();
    let mut out = String::with_capacity(token.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        out.push(b as char);
        let next = bytes.get(i + 1).copied();
        if matches!(b, b'a' | b'o' | b'u') && next == Some(b'e') && i > 0 {
            i += 2;
        } else {
            i += 1;
        }
    }
    if token.is_ascii() {
        out
    } else {
        token.to_string()
    }
}

/// Common abbreviations, spelled out so both spellings compare equal.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("assoc", "associates"),
    ("assn", "association"),
    ("bros", "brothers"),
    ("ctr", "center"),
    ("centre", "center"),
    ("dept", "department"),
    ("hosp", "hospital"),
    ("intl", "international"),
    ("mfg", "manufacturing"),
    ("mgmt", "management"),
    ("mt", "mount"),
    ("natl", "national"),
    ("st", "saint"),
    ("svc", "services"),
    ("svcs", "services"),
    ("tech", "technology"),
    ("technologies", "technology"),
    ("univ", "university"),
];

fn expand(token: String) -> String {
    match ABBREVIATIONS.iter().find(|(short, _)| *short == token) {
        Some((_, long)) => (*long).to_string(),
        None => token,
    }
}

/// Only this many leading characters of a name are read: no organisation name is longer, and a
/// bound keeps indexing and comparing names linear in the input however long a name is.
pub const MAX_NAME_CHARS: usize = 256;

/// Normalizes an organisation name (its first [`MAX_NAME_CHARS`] characters).
pub fn normalize_name(raw: &str) -> NormalizedName {
    let raw = match raw.char_indices().nth(MAX_NAME_CHARS) {
        Some((cut, _)) => raw.get(..cut).unwrap_or(raw),
        None => raw,
    };
    let mut folded = String::with_capacity(raw.len() + 8);
    fold_into(raw, &mut folded);
    let mut tokens: Vec<String> = folded
        .split_whitespace()
        .map(|t| expand(fold_digraphs(t)))
        .collect();
    if tokens.len() > 1 && tokens.first().is_some_and(|t| t == "the") {
        tokens.remove(0);
    }
    let compact_with_suffixes: String = tokens
        .iter()
        .filter(|t| *t != "and")
        .map(String::as_str)
        .collect();
    let mut suffixes = strip_legal_suffixes(&mut tokens);
    suffixes.retain(|t| !SUFFIX_JOINERS.contains(&t.as_str()));
    tokens.retain(|t| t != "and");
    let compact = tokens.concat();
    NormalizedName {
        tokens,
        compact,
        compact_with_suffixes,
        suffixes,
    }
}

/// Removes trailing legal-form words and returns them.
fn strip_legal_suffixes(tokens: &mut Vec<String>) -> Vec<String> {
    // Keep at least one word: a company called "Company" is still "company".
    let mut end = tokens.len();
    let mut kept = end;
    while end > 1 {
        let Some(last) = tokens.get(end - 1) else {
            break;
        };
        if LEGAL_SUFFIXES.contains(&last.as_str()) {
            end -= 1;
            kept = end;
        } else if SUFFIX_JOINERS.contains(&last.as_str()) && kept < tokens.len() {
            end -= 1;
        } else {
            break;
        }
    }
    tokens.split_off(kept.max(1).min(tokens.len()))
}

/// Words common in company names that say little about which company is meant.
const GENERIC_WORDS: &[&str] = &[
    "associates",
    "consulting",
    "enterprises",
    "global",
    "group",
    "holding",
    "holdings",
    "industries",
    "international",
    "management",
    "partners",
    "services",
    "solutions",
    "systems",
    "technology",
];

/// The weight of a word in name scoring: generic words count less than distinctive ones.
pub fn token_weight(token: &str) -> f64 {
    if GENERIC_WORDS.contains(&token) {
        0.4
    } else {
        1.0
    }
}

/// Small words skipped when forming an acronym (`Federal Bureau of Investigation` → `fbi`).
const ACRONYM_SKIP: &[&str] = &["of", "for", "the", "and", "de", "du", "der", "und"];

/// The initials of a multi-word name (`international business machines` → `ibm`), if it has at
/// least two initials.
pub fn acronym(name: &NormalizedName) -> Option<String> {
    initials(name.tokens.iter())
}

/// The initials including the legal-form words (`american broadcasting company` → `abc`), when
/// they differ from [`acronym`].
pub fn acronym_with_suffixes(name: &NormalizedName) -> Option<String> {
    if name.suffixes.is_empty() {
        return None;
    }
    initials(name.tokens.iter().chain(&name.suffixes))
}

fn initials<'a>(words: impl Iterator<Item = &'a String>) -> Option<String> {
    let initials: String = words
        .filter(|t| !ACRONYM_SKIP.contains(&t.as_str()))
        .filter_map(|t| t.chars().next())
        .collect();
    if initials.chars().count() >= 2 {
        Some(initials)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(raw: &str) -> String {
        normalize_name(raw).display()
    }

    #[test]
    fn folds_umlauts_and_transliterations_to_one_form() {
        assert_eq!(words("Müller GmbH"), "muller");
        assert_eq!(words("MUELLER"), "muller");
        assert_eq!(words("Muller"), "muller");
        assert_eq!(words("Société Générale S.A."), "societe generale");
        assert_eq!(words("Straße Bau AG"), "strasse bau");
        assert_eq!(words("Søren Ærø ApS"), "soren aero");
    }

    #[test]
    fn abbreviations_are_spelled_out() {
        assert_eq!(
            words("Acme Intl Mfg"),
            words("Acme International Manufacturing")
        );
        assert_eq!(words("St. Mary's Hosp."), "saint marys hospital");
    }

    #[test]
    fn ampersand_and_and_agree() {
        assert_eq!(words("Smith & Sons"), words("Smith and Sons"));
        assert_eq!(words("Smith+Sons"), "smith sons");
    }

    #[test]
    fn punctuation_and_leading_the() {
        assert_eq!(words("The O'Brien Group, Inc."), "obrien group");
        assert_eq!(words("I.B.M. Corp."), "ibm");
        assert_eq!(words("the"), "the");
    }

    #[test]
    fn legal_suffixes_of_many_jurisdictions() {
        for (raw, expected) in [
            ("Acme Corp", "acme"),
            ("Acme, L.L.C.", "acme"),
            ("Acme Pty Ltd", "acme"),
            ("Acme GmbH & Co. KG", "acme"),
            ("Acme S.A. de C.V.", "acme"),
            ("Acme B.V.", "acme"),
            ("Acme SARL", "acme"),
            ("Acme plc", "acme"),
            ("Acme Company Limited", "acme"),
            ("Company", "company"),
            ("Co-op Foods", "co op foods"),
        ] {
            assert_eq!(words(raw), expected, "{raw}");
        }
        assert_eq!(
            normalize_name("Contoso Ltd").compact_with_suffixes,
            "contosoltd"
        );
    }

    #[test]
    fn acronyms_skip_small_words() {
        let name = normalize_name("International Business Machines Corporation");
        assert_eq!(acronym(&name).as_deref(), Some("ibm"));
        assert_eq!(
            acronym(&normalize_name("Federal Bureau of Investigation")).as_deref(),
            Some("fbi")
        );
        assert_eq!(acronym(&normalize_name("Acme")), None);
        let abc = normalize_name("American Broadcasting Company");
        assert_eq!(acronym(&abc).as_deref(), Some("ab"));
        assert_eq!(acronym_with_suffixes(&abc).as_deref(), Some("abc"));
    }

    #[test]
    fn only_the_first_characters_of_a_long_name_are_read() {
        let long = format!("Contoso {}", "x".repeat(1_000_000));
        let name = normalize_name(&long);
        assert_eq!(name.tokens.len(), 2);
        assert_eq!(name.tokens[1].len(), MAX_NAME_CHARS - "Contoso ".len());
        assert_eq!(words(&"Ü".repeat(MAX_NAME_CHARS + 5)).len(), MAX_NAME_CHARS);
    }

    #[test]
    fn digraph_folding_applies_to_both_spellings() {
        assert_eq!(words("Goethe Schule"), words("Göthe Schule"));
        assert_eq!(words("Baeck"), words("Bäck"));
    }
}
