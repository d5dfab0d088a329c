//! Friendly product names for common SKU part numbers (Microsoft's "Product names and service
//! plan identifiers for licensing" table). Graph returns only the part number; operators know the
//! product by its marketing name. A part number missing here is shown as itself.

/// `(skuPartNumber, product name)`, sorted by part number for binary search.
const NAMES: &[(&str, &str)] = &[
    ("AAD_PREMIUM", "Microsoft Entra ID P1"),
    ("AAD_PREMIUM_P2", "Microsoft Entra ID P2"),
    (
        "ATP_ENTERPRISE",
        "Microsoft Defender for Office 365 (Plan 1)",
    ),
    ("DESKLESSPACK", "Office 365 F3"),
    ("DEVELOPERPACK_E5", "Microsoft 365 E5 Developer"),
    ("EMS", "Enterprise Mobility + Security E3"),
    ("EMSPREMIUM", "Enterprise Mobility + Security E5"),
    ("ENTERPRISEPACK", "Office 365 E3"),
    ("ENTERPRISEPREMIUM", "Office 365 E5"),
    (
        "EXCHANGEARCHIVE_ADDON",
        "Exchange Online Archiving for Exchange Online",
    ),
    ("EXCHANGEDESKLESS", "Exchange Online Kiosk"),
    ("EXCHANGEENTERPRISE", "Exchange Online (Plan 2)"),
    ("EXCHANGESTANDARD", "Exchange Online (Plan 1)"),
    ("FLOW_FREE", "Microsoft Power Automate Free"),
    ("INTUNE_A", "Microsoft Intune Plan 1"),
    ("MCOEV", "Microsoft Teams Phone Standard"),
    ("MCOMEETADV", "Microsoft 365 Audio Conferencing"),
    ("O365_BUSINESS", "Microsoft 365 Apps for business"),
    ("O365_BUSINESS_ESSENTIALS", "Microsoft 365 Business Basic"),
    ("O365_BUSINESS_PREMIUM", "Microsoft 365 Business Standard"),
    ("OFFICESUBSCRIPTION", "Microsoft 365 Apps for enterprise"),
    ("PBI_PREMIUM_PER_USER", "Power BI Premium Per User"),
    ("POWER_BI_PRO", "Power BI Pro"),
    ("POWER_BI_STANDARD", "Power BI (free)"),
    ("PROJECTPROFESSIONAL", "Project Plan 3"),
    ("SPB", "Microsoft 365 Business Premium"),
    ("SPE_E3", "Microsoft 365 E3"),
    ("SPE_E5", "Microsoft 365 E5"),
    ("SPE_F1", "Microsoft 365 F3"),
    ("STANDARDPACK", "Office 365 E1"),
    ("STREAM", "Microsoft Stream"),
    ("TEAMS_EXPLORATORY", "Microsoft Teams Exploratory"),
    (
        "THREAT_INTELLIGENCE",
        "Microsoft Defender for Office 365 (Plan 2)",
    ),
    ("VISIOCLIENT", "Visio Plan 2"),
    ("WIN_DEF_ATP", "Microsoft Defender for Endpoint P2"),
];

/// The product name of `part_number`, matched case-insensitively; `None` when it is not a common
/// SKU.
pub fn product_name(part_number: &str) -> Option<&'static str> {
    let wanted = part_number.trim().to_ascii_uppercase();
    NAMES
        .binary_search_by(|(p, _)| (*p).cmp(wanted.as_str()))
        .ok()
        .and_then(|i| NAMES.get(i))
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_table_is_sorted_so_lookups_find_every_entry() {
        for pair in NAMES.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{pair:?} out of order");
        }
        for (part, name) in NAMES {
            assert_eq!(product_name(part), Some(*name));
        }
    }

    #[test]
    fn part_numbers_match_case_insensitively_and_unknown_ones_have_no_name() {
        let cases = [
            ("spb", Some("Microsoft 365 Business Premium")),
            (" ENTERPRISEPACK ", Some("Office 365 E3")),
            ("CONTOSO_CUSTOM_SKU", None),
            ("", None),
        ];
        for (part, want) in cases {
            assert_eq!(product_name(part), want, "{part:?}");
        }
    }
}
