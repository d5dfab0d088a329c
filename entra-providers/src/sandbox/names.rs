//! Word lists and text folding for the synthetic estate: company names with the legal suffixes,
//! diacritics and punctuation that real CRMs are full of, and the ASCII forms mail systems use.

/// Hand-written companies: (display name, domain stem, top-level domain, a CRM-style variant of
/// the name). Their punctuation is deliberate: it is what name matching has to survive.
pub const COMPANIES: &[(&str, &str, &str, &str)] = &[
    (
        "Müller & Söhne GmbH",
        "mueller-soehne",
        "de",
        "Mueller and Soehne",
    ),
    (
        "O'Brien Dental, LLC",
        "obriendental",
        "com",
        "OBrien Dental",
    ),
    ("The Acme Corp.", "acmecorp", "com", "Acme Corporation"),
    (
        "Fabrikam Logistics Ltd",
        "fabrikam-logistics",
        "co.uk",
        "Fabrikam Logistics Limited",
    ),
    (
        "Løvstad Arkitekter AS",
        "lovstad",
        "no",
        "Lovstad Arkitekter",
    ),
    (
        "Smith, Jones & Partners LLP",
        "smithjones",
        "com",
        "Smith Jones and Partners",
    ),
    (
        "Café Étoile S.A.R.L.",
        "cafe-etoile",
        "fr",
        "Cafe Etoile SARL",
    ),
    (
        "Northwind Traders, Inc.",
        "northwindtraders",
        "com",
        "North Wind Traders",
    ),
    ("Van der Berg B.V.", "vanderberg", "nl", "Vd Berg BV"),
    ("Åkesson & Co AB", "akesson", "se", "Akesson and Company"),
    (
        "St. Mary's Veterinary Clinic",
        "stmarysvet",
        "org",
        "Saint Marys Vet Clinic",
    ),
    (
        "Peña Construcción S.L.",
        "pena-construccion",
        "es",
        "Pena Construccion",
    ),
    (
        "Blue Yonder Airlines (Pty) Ltd",
        "blueyonder",
        "com.au",
        "Blue Yonder Airlines",
    ),
    (
        "Tailspin Toys GmbH & Co. KG",
        "tailspintoys",
        "de",
        "Tailspin Toys",
    ),
    (
        "Wingtip Legal P.C.",
        "wingtiplegal",
        "com",
        "Wing Tip Legal",
    ),
    ("Dvořák Audio s.r.o.", "dvorak-audio", "cz", "Dvorak Audio"),
];

/// Words for generated companies when the hand-written list runs out.
pub const COMPANY_WORDS: &[&str] = &[
    "Harbor",
    "Summit",
    "Cedar",
    "Granite",
    "Riverside",
    "Maple",
    "Beacon",
    "Ironwood",
    "Lakeshore",
    "Pioneer",
    "Redwood",
    "Silverline",
    "Keystone",
    "Meadow",
    "Oakridge",
    "Bayview",
    "Crescent",
    "Evergreen",
    "Highland",
    "Sterling",
];

/// Trades for generated companies.
pub const TRADES: &[&str] = &[
    "Dental",
    "Plumbing",
    "Logistics",
    "Legal",
    "Accounting",
    "Roofing",
    "Pediatrics",
    "Engineering",
    "Realty",
    "Bakery",
    "Veterinary",
    "Printing",
];

/// Legal suffixes for generated companies: (suffix as written, top-level domain).
pub const SUFFIXES: &[(&str, &str)] = &[
    (", LLC", "com"),
    (" Inc.", "com"),
    (" GmbH", "de"),
    (" Ltd", "co.uk"),
    (" B.V.", "nl"),
    (" & Co.", "com"),
    (" S.A.", "es"),
    (" AG", "ch"),
];

/// CRM companies that have nothing to do with any tenant.
pub const UNRELATED: &[(&str, &str)] = &[
    ("Globex Corporation", "globex.example"),
    ("Initech Software", "initech.example"),
    ("Umbrella Pharmaceuticals", "umbrella-pharma.example"),
    ("Hooli Holdings", "hooli.example"),
    ("Stark Industrial Supply", "stark-supply.example"),
    ("Wayne Property Management", "wayne-pm.example"),
];

/// The MSP's own company name and domain stem.
pub const PARTNERS: &[(&str, &str)] = &[
    ("Northbridge Managed Services, Inc.", "northbridge-msp"),
    ("Brightline IT Partners LLC", "brightline-it"),
    ("Kestrel Cloud Services Ltd", "kestrel-cloud"),
];

/// Given names, some with diacritics.
pub const GIVEN: &[&str] = &[
    "Adele", "Alex", "Megan", "Lynne", "Isaiah", "Johanna", "Grady", "Miriam", "Nestor", "Pradeep",
    "Joni", "Lidia", "Diego", "José", "Zoë", "Björn", "Siobhán", "Amélie", "Chen", "Fatima",
    "Kwame", "Ingrid", "Rahul", "Olga",
];

/// Surnames, some with apostrophes and diacritics. Abbott and Talbot are added on purpose
/// elsewhere: they contain "bot", which naive service-account patterns wrongly exclude.
pub const SURNAMES: &[&str] = &[
    "Vance",
    "Wilber",
    "Bowen",
    "Robinson",
    "Langer",
    "Lauer",
    "Archie",
    "Patterson",
    "Nielsen",
    "Gupta",
    "Sherman",
    "Holloway",
    "Müller",
    "O'Brien",
    "García",
    "Nguyen",
    "Schäfer",
    "Lefèvre",
    "Kowalski",
    "Okafor",
    "Johansson",
    "D'Angelo",
    "Petrov",
    "Haddad",
];

/// Job titles.
pub const TITLES: &[&str] = &[
    "Office Manager",
    "Accountant",
    "Sales Representative",
    "Project Manager",
    "Receptionist",
    "Technician",
    "Operations Lead",
    "Marketing Specialist",
    "CEO",
    "Paralegal",
];

/// Departments.
pub const DEPARTMENTS: &[&str] = &[
    "Finance",
    "Sales",
    "Operations",
    "Marketing",
    "Front Office",
];

/// Meeting rooms.
pub const ROOMS: &[&str] = &["Adams", "Baker", "Curie", "Darwin"];

/// License SKUs: Microsoft 365 Business Premium, Office 365 E3, Exchange Online (Plan 1).
pub const SKUS: &[&str] = &[
    "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
    "6fd2c87f-b296-42f0-b197-1e91e994b900",
    "4b9405b0-7788-4568-add1-99614e613b69",
];

/// Folds a name to the ASCII a mail system would use: `Müller` -> `Mueller`, `José` -> `Jose`,
/// `O'Brien` -> `OBrien`; anything else that is not alphanumeric is dropped.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            'ä' => out.push_str("ae"),
            'Ä' => out.push_str("Ae"),
            'ö' => out.push_str("oe"),
            'Ö' => out.push_str("Oe"),
            'ü' => out.push_str("ue"),
            'Ü' => out.push_str("Ue"),
            'ß' => out.push_str("ss"),
            'á' | 'à' | 'â' | 'å' => out.push('a'),
            'Å' | 'Á' => out.push('A'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'É' => out.push('E'),
            'í' | 'ì' | 'î' => out.push('i'),
            'ó' | 'ò' | 'ô' | 'ø' => out.push('o'),
            'Ø' => out.push('O'),
            'ú' | 'ù' | 'û' => out.push('u'),
            'ñ' => out.push('n'),
            'ç' => out.push('c'),
            'ř' => out.push('r'),
            'š' => out.push('s'),
            'č' => out.push('c'),
            c if c.is_ascii_alphanumeric() => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_diacritics_and_punctuation() {
        assert_eq!(fold("Müller"), "Mueller");
        assert_eq!(fold("O'Brien"), "OBrien");
        assert_eq!(fold("Zoë"), "Zoe");
        assert_eq!(fold("Siobhán"), "Siobhan");
        assert_eq!(fold("Dvořák"), "Dvorak");
    }
}
