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
    /// Distinctive words, lowercase ASCII-folded, legal suffixes and a leading "the" removed,
    /// abbreviations of [`ABBREVIATIONS`] spelled out.
    pub tokens: Vec<String>,
    /// The words as written joined without separators (`Micro Soft` and `Microsoft` agree
    /// here; abbreviations are not spelled out, as a tenant label `zenwicklabs` spells
    /// `Zenwick Labs`).
    pub compact: String,
    /// The compact form before legal suffixes were removed (`contosoltd`), to meet tenant labels
    /// such as `contosoltd.onmicrosoft.com`.
    pub compact_with_suffixes: String,
    /// The legal-form words removed from the end (`["co", "kg"]`), kept for acronyms such as
    /// `ABC` for `American Broadcasting Company`.
    pub suffixes: Vec<String>,
    /// Each token as written (folded, before abbreviations were spelled out): evidence names the
    /// abbreviation that made two words agree.
    pub written: Vec<String>,
    /// Whether each token was written with a closing dot (`Eng.`): a dotted word is an
    /// abbreviation even when it is only two letters long.
    pub dotted: Vec<bool>,
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

    /// The token at `position` as written, before it was spelled out.
    pub fn written_at(&self, position: usize) -> &str {
        self.written
            .get(position)
            .or_else(|| self.tokens.get(position))
            .map_or("", String::as_str)
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

/// Marks a dot that closed a word (`Eng.`), removed again when the words are split.
const DOT_MARK: char = '\u{1}';

/// Folds one character to lowercase ASCII letters and digits; other characters become spaces,
/// except apostrophes, dots and slashes, which vanish so `O'Brien`, `I.B.M.` and `A/S` stay one
/// word (a dot after a letter leaves a [`DOT_MARK`], so `Eng.` is known to be abbreviated).
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
        '.' => {
            if out.chars().next_back().is_some_and(char::is_alphanumeric) {
                out.push(DOT_MARK);
            }
        }
        '\'' | '\u{2019}' | '\u{2018}' | '`' | '/' => {}
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

/// Business words as people abbreviate them in tenant and CRM names, each with its spelled-out
/// form (or forms).
///
/// A name's tokens carry the first spelled-out form, so `Cisco Sys` and `Cisco Systems` have the
/// same tokens and compare as equal names. Further forms are other meanings of an ambiguous
/// abbreviation (`Assoc` is `Associates` or `Association`): they count as a match when the other
/// name spells one of them, without becoming the token. A few rows fold spelled-out variants of
/// one business word together (`Technologies`/`Technology`, `Engineers`/`Engineering`,
/// `Centre`/`Center`). Abbreviations that are plain cuts of the word (`Instr.`, `Semicond`) need
/// no row: the prefix rule of the scorer covers them. An abbreviation listed here has the meaning
/// given and no other, so `Med` (medical) never matches `Media` by the prefix rule.
pub const ABBREVIATIONS: &[(&str, &[&str])] = &[
    ("acct", &["accounting"]),
    ("acctg", &["accounting"]),
    ("amer", &["american", "america"]),
    ("assn", &["association"]),
    ("assoc", &["associates", "association"]),
    ("assocs", &["associates"]),
    ("bldg", &["building"]),
    ("bldgs", &["buildings"]),
    ("bldrs", &["builders"]),
    ("bros", &["brothers"]),
    ("centre", &["center"]),
    ("chem", &["chemical", "chemicals"]),
    ("chems", &["chemicals"]),
    ("cnslts", &["consultants"]),
    ("cntr", &["center"]),
    ("commns", &["communications"]),
    ("comms", &["communications"]),
    ("ctr", &["center"]),
    ("dept", &["department"]),
    (
        "dist",
        &["distribution", "distributors", "distributing", "district"],
    ),
    ("distr", &["distribution", "distributors", "distributing"]),
    ("distrib", &["distribution", "distributors", "distributing"]),
    ("dvlpmt", &["development"]),
    ("elec", &["electric", "electronics"]),
    ("elecs", &["electronics"]),
    ("electrical", &["electric"]),
    ("eng", &["engineering"]),
    ("engg", &["engineering"]),
    ("engineer", &["engineering"]),
    ("engineers", &["engineering"]),
    ("engr", &["engineering"]),
    ("engrg", &["engineering"]),
    ("engrs", &["engineering"]),
    ("entpr", &["enterprises"]),
    ("entps", &["enterprises"]),
    ("envtl", &["environmental"]),
    ("eqpt", &["equipment"]),
    ("equip", &["equipment"]),
    ("fincl", &["financial"]),
    ("finl", &["financial"]),
    ("govt", &["government"]),
    ("grp", &["group"]),
    ("hldg", &["holdings"]),
    ("hldgs", &["holdings"]),
    ("hosp", &["hospital"]),
    ("inds", &["industries"]),
    ("indus", &["industries"]),
    ("instrs", &["instruments"]),
    ("internatl", &["international"]),
    ("intl", &["international"]),
    ("invt", &["investment"]),
    ("invts", &["investments"]),
    ("lab", &["laboratories"]),
    ("laboratory", &["laboratories"]),
    ("labs", &["laboratories"]),
    ("matls", &["materials"]),
    ("mchy", &["machinery"]),
    ("med", &["medical"]),
    ("medcl", &["medical"]),
    ("mfg", &["manufacturing"]),
    ("mfrs", &["manufacturers"]),
    ("mgmt", &["management"]),
    ("mgt", &["management"]),
    ("mktg", &["marketing"]),
    ("mngmt", &["management"]),
    ("mt", &["mount"]),
    ("mtls", &["materials"]),
    ("natl", &["national"]),
    ("netwks", &["networks"]),
    ("ntwks", &["networks"]),
    ("pharm", &["pharmaceuticals", "pharmacy"]),
    ("pharma", &["pharmaceuticals"]),
    ("pharmaceutical", &["pharmaceuticals"]),
    ("pharms", &["pharmaceuticals"]),
    ("ppty", &["properties"]),
    ("prods", &["products"]),
    ("property", &["properties"]),
    ("props", &["properties"]),
    ("ptnrs", &["partners"]),
    ("resrc", &["resources"]),
    ("rlty", &["realty"]),
    ("rsrcs", &["resources"]),
    ("servs", &["services"]),
    ("sftwr", &["software"]),
    ("sltns", &["solutions"]),
    ("solns", &["solutions"]),
    ("sply", &["supply"]),
    ("srvcs", &["services"]),
    ("st", &["saint"]),
    ("svc", &["services"]),
    ("svcs", &["services"]),
    ("sys", &["systems"]),
    ("syst", &["systems"]),
    ("systs", &["systems"]),
    ("tech", &["technology"]),
    ("technologies", &["technology"]),
    ("techs", &["technology"]),
    ("telecom", &["telecommunications"]),
    ("telecomm", &["telecommunications"]),
    ("telecomms", &["telecommunications"]),
    ("telecoms", &["telecommunications"]),
    ("univ", &["university"]),
    ("whse", &["warehouse"]),
    ("wks", &["works"]),
];

/// The spelled-out forms of an abbreviation of [`ABBREVIATIONS`] (first the one used as token).
pub fn spelled_out(written: &str) -> Option<&'static [&'static str]> {
    ABBREVIATIONS
        .binary_search_by(|(short, _)| (*short).cmp(written))
        .ok()
        .and_then(|i| ABBREVIATIONS.get(i))
        .map(|(_, long)| *long)
}

/// The token for a written word: its first spelled-out form, or the word itself.
fn expand(written: &str) -> String {
    match spelled_out(written).and_then(|forms| forms.first()) {
        Some(long) => (*long).to_string(),
        None => written.to_string(),
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
    let mut written: Vec<String> = Vec::new();
    let mut dotted: Vec<bool> = Vec::new();
    for word in folded.split_whitespace() {
        let closed = word.ends_with(DOT_MARK);
        let word: String = word.chars().filter(|&c| c != DOT_MARK).collect();
        if word.is_empty() {
            continue;
        }
        written.push(fold_digraphs(&word));
        dotted.push(closed);
    }
    let mut tokens: Vec<String> = written.iter().map(|w| expand(w)).collect();
    if tokens.len() > 1 && tokens.first().is_some_and(|t| t == "the") {
        tokens.remove(0);
        written.remove(0);
        dotted.remove(0);
    }
    let compact_with_suffixes: String = written
        .iter()
        .filter(|t| *t != "and")
        .map(String::as_str)
        .collect();
    let mut suffixes = strip_legal_suffixes(&mut tokens);
    written.truncate(tokens.len());
    dotted.truncate(tokens.len());
    suffixes.retain(|t| !SUFFIX_JOINERS.contains(&t.as_str()));
    let keep: Vec<bool> = tokens.iter().map(|t| t != "and").collect();
    let mut flags = keep.iter();
    tokens.retain(|_| flags.next().copied().unwrap_or(true));
    let mut flags = keep.iter();
    written.retain(|_| flags.next().copied().unwrap_or(true));
    let mut flags = keep.iter();
    dotted.retain(|_| flags.next().copied().unwrap_or(true));
    let compact = written.concat();
    NormalizedName {
        tokens,
        compact,
        compact_with_suffixes,
        suffixes,
        written,
        dotted,
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
    fn abbreviation_table_is_sorted_lowercase_and_spells_out_business_words() {
        for pair in ABBREVIATIONS.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
        }
        for (short, long) in ABBREVIATIONS {
            assert!(!long.is_empty(), "{short}");
            assert_eq!(*short, short.to_ascii_lowercase());
            assert_eq!(words(short), long[0], "{short}");
        }
        for (short, long) in [
            ("Sys", "systems"),
            ("Eng.", "engineering"),
            ("Comms", "communications"),
            ("Inds", "industries"),
            ("Finl", "financial"),
            ("Grp", "group"),
            ("Props", "properties"),
            ("Labs", "laboratories"),
            ("Med.", "medical"),
            ("Equip", "equipment"),
            ("Tech", "technology"),
            ("Telecom", "telecommunications"),
            ("Int'l", "international"),
            ("Mfg", "manufacturing"),
            ("Svcs", "services"),
            ("Mgmt", "management"),
            ("Assoc", "associates"),
            ("Natl", "national"),
            ("Bros.", "brothers"),
            ("Dept", "department"),
            ("Univ", "university"),
            ("Hosp", "hospital"),
            ("Ctr", "center"),
            ("Dist", "distribution"),
            ("Elec", "electric"),
            ("Electrical", "electric"),
            ("Pharma", "pharmaceuticals"),
        ] {
            assert_eq!(
                words(&format!("Acme {short}")),
                format!("acme {long}"),
                "{short}"
            );
        }
    }

    #[test]
    fn written_forms_and_closing_dots_are_kept_beside_the_tokens() {
        let name = normalize_name("The Tiba Med. Instr. I.B.M. Inc.");
        assert_eq!(name.display(), "tiba medical instr ibm");
        assert_eq!(name.written, vec!["tiba", "med", "instr", "ibm"]);
        assert_eq!(name.dotted, vec![false, true, true, true]);
        assert_eq!(name.written_at(1), "med");
        // A tenant label spells the name as typed: `zenwicklabs` is `Zenwick Labs`.
        assert_eq!(normalize_name("Zenwick Labs").compact, "zenwicklabs");
        let and = normalize_name("Smith & Sons Eng.");
        assert_eq!(and.tokens.len(), and.written.len());
        assert_eq!(and.dotted, vec![false, false, true]);
    }

    #[test]
    fn digraph_folding_applies_to_both_spellings() {
        assert_eq!(words("Goethe Schule"), words("Göthe Schule"));
        assert_eq!(words("Baeck"), words("Bäck"));
    }
}
