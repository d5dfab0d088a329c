//! A straightforward implementation of the filter rules (lowercased copies, words split with
//! `str::split`, one regex per pattern), and a property test that the screened classification
//! decides exactly as it does on random users shaped to reach every rule.

// The reference compares lowercased copies on purpose: it is the plain form of the rules.
#![allow(clippy::manual_ignore_case_cmp)]

use proptest::prelude::*;
use regex::RegexBuilder;

use super::service_account::{DIRECTORY_SYNC_DISPLAY_NAME, PHRASE_RULES, WORD_RULES};
use super::*;

fn is_address(text: &str) -> bool {
    let text = text.trim();
    let Some(at) = text.rfind('@') else {
        return false;
    };
    let (local, domain) = (&text[..at], &text[at + 1..]);
    !local.is_empty()
        && domain.len() >= 3
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn word_rule(text: &str) -> Option<&'static str> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_lowercase())
        .collect();
    let stems: Vec<&str> = words
        .iter()
        .map(|w| w.trim_end_matches(|c: char| c.is_ascii_digit()))
        .collect();
    for (i, word) in words.iter().enumerate() {
        if let Some((_, rule)) = WORD_RULES.iter().find(|(w, _)| word == w || stems[i] == *w) {
            return Some(rule);
        }
        for (phrase, rule) in PHRASE_RULES {
            if i + 1 >= phrase.len() && stems[i + 1 - phrase.len()..=i] == **phrase {
                return Some(rule);
            }
        }
    }
    None
}

fn builtin_rule(user: &EntraUser) -> Option<&'static str> {
    for address in [&user.email, &user.user_principal_name]
        .into_iter()
        .flatten()
    {
        let address = address.trim();
        let local = address.rsplit_once('@').map_or(address, |(l, _)| l);
        let parts: Vec<&str> = local.split('_').collect();
        let last = parts[parts.len() - 1];
        if parts.len() >= 3
            && parts[0].to_ascii_lowercase() == "sync"
            && last.len() >= 6
            && last.chars().all(|c| c.is_ascii_hexdigit())
        {
            return Some("directory_sync");
        }
        if let Some(rule) = word_rule(local) {
            return Some(rule);
        }
    }
    let name = user.display_name.as_deref()?;
    if name.trim().to_ascii_lowercase() == DIRECTORY_SYNC_DISPLAY_NAME.to_ascii_lowercase() {
        return Some("directory_sync");
    }
    word_rule(name)
}

/// The rules in order, first hit wins.
fn reference(
    options: &FilterOptions,
    user: &EntraUser,
) -> Option<(ExclusionReason, Option<String>)> {
    if !user.account_enabled {
        return Some((ExclusionReason::AccountDisabled, None));
    }
    let has = |f: &Option<String>| f.as_deref().is_some_and(is_address);
    if !has(&user.email) && !has(&user.user_principal_name) {
        return Some((ExclusionReason::MissingIdentity, None));
    }
    let guest = user
        .user_type
        .as_deref()
        .is_some_and(|t| t.trim().to_ascii_lowercase() == "guest")
        || user
            .user_principal_name
            .as_deref()
            .is_some_and(|u| u.to_ascii_uppercase().contains("#EXT#"));
    if !options.include_guests && guest {
        return Some((ExclusionReason::Guest, None));
    }
    if options.licensed_only && user.assigned_license_sku_ids.is_empty() {
        return Some((ExclusionReason::Unlicensed, None));
    }
    if let Some(rule) = builtin_rule(user) {
        return Some((ExclusionReason::ServiceAccount, Some(rule.into())));
    }
    let texts = [&user.user_principal_name, &user.email, &user.display_name];
    options
        .custom_exclusion_patterns
        .iter()
        .find(|p| {
            let re = RegexBuilder::new(p).case_insensitive(true).build().unwrap();
            texts.iter().copied().flatten().any(|t| re.is_match(t))
        })
        .map(|p| (ExclusionReason::TenantCustomPattern, Some(p.clone())))
}

const WORDS: &[&str] = &[
    "jane",
    "Doe",
    "svc",
    "SVC2",
    "svcs",
    "noreply",
    "No",
    "reply",
    "do",
    "not",
    "dont",
    "Shared",
    "mailbox",
    "scan",
    "to",
    "email",
    "Scanner01",
    "printer",
    "copier",
    "break",
    "glass",
    "emergency",
    "access",
    "admin",
    "Sync",
    "DC01",
    "1a2b3c",
    "abbott",
    "ext",
    "room",
    "conf",
    "Zoë",
    "Ångström",
    "ſvc",
    "sync",
    "EMAIL",
    "mail",
    "42",
];
const SEPARATORS: &[&str] = &["-", "_", ".", " ", "", "#EXT#", "\u{a0}", "—"];
const DOMAINS: &[&str] = &[
    "@contoso.com",
    "@contractors.contoso.com",
    "@scanners.io",
    "@x",
    "",
    "@email.contoso.com ",
    "_fabrikam.com#EXT#@contoso.onmicrosoft.com",
];
const PATTERNS: &[&str] = &[
    "^ext-",
    "@contractors\\.contoso\\.com$",
    "^(room|conf)-",
    "\\bglass\\b",
    "ö",
    "jane$",
    "^\\w+\\s\\w+$",
];

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::sample::select(WORDS),
            prop::sample::select(SEPARATORS),
        ),
        0..4,
    )
    .prop_map(|parts| parts.into_iter().map(|(w, s)| format!("{w}{s}")).collect())
}

fn address() -> impl Strategy<Value = String> {
    (text(), prop::sample::select(DOMAINS)).prop_map(|(local, domain)| format!("{local}{domain}"))
}

fn user() -> impl Strategy<Value = EntraUser> {
    (
        prop::option::of(address()),
        prop::option::of(address()),
        any::<bool>(),
        prop::option::of(prop_oneof![
            text(),
            Just(DIRECTORY_SYNC_DISPLAY_NAME.to_string())
        ]),
        (
            0u8..10,
            prop::sample::select(&["Member", " guest ", "Guest", "x"][..]),
        ),
        any::<bool>(),
    )
        .prop_map(|(upn, mail, same, name, (enabled, kind), licensed)| {
            let mut u = EntraUser::new("t", "o");
            u.email = if same { upn.clone() } else { mail };
            u.user_principal_name = upn;
            u.display_name = name;
            u.account_enabled = enabled > 0;
            u.user_type = (enabled % 3 > 0).then(|| kind.to_string());
            if licensed {
                u.assigned_license_sku_ids = vec!["sku".into()];
            }
            u
        })
}

fn options() -> impl Strategy<Value = FilterOptions> {
    (
        prop::sample::subsequence(PATTERNS, 0..=PATTERNS.len()),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(patterns, include_guests, licensed_only)| FilterOptions {
            custom_exclusion_patterns: patterns.into_iter().map(String::from).collect(),
            include_guests,
            licensed_only,
            ..FilterOptions::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn screened_classification_decides_as_the_reference_rules(
        options in options(),
        users in prop::collection::vec(user(), 1..24),
    ) {
        let filter = UserFilter::new(&options).expect("valid patterns");
        for user in &users {
            prop_assert_eq!(filter.classify(user), reference(&options, user), "{:?}", user);
        }
        let input = FilterInput { users, options, group_memberships: Vec::new() };
        let positions = filter_user_positions(&input).expect("positions");
        let excluded: Vec<_> = positions.excluded.iter().map(|p| p.index).collect();
        let owned = filter_users_owned(input.clone()).expect("owned");
        prop_assert_eq!(&owned, &filter_users(&input).expect("borrowed"));
        prop_assert_eq!(owned.excluded.len(), excluded.len());
        prop_assert_eq!(
            positions.included.len() + excluded.len(),
            input.users.len()
        );
    }
}
