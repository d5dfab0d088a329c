//! Domain normalization and evidence rules.
//!
//! Operators type domains in every shape (`https://www.Contoso.com/about`, `contoso.com.`,
//! `jane@contoso.com`, `MÜLLER.de`); the same organisation must compare equal whatever the shape.
//! Comparison happens on the registrable domain (the public suffix plus one label), so a client's
//! `portal.contoso.com` still matches a tenant's `contoso.com`, while `contoso.co.uk` stays whole.

use url::{Host, Url};

/// Normalizes one user-typed domain, URL or email address to a canonical lowercase ASCII host
/// (internationalized names in their punycode form), without `www.` or a trailing dot.
///
/// Returns `None` for anything that is not a public host name: IP addresses, `localhost`,
/// strings without a dot, and text that does not parse as a host.
pub fn normalize_domain(raw: &str) -> Option<String> {
    let mut text = raw.trim();
    if text.is_empty() {
        return None;
    }
    if let Some(rest) = strip_prefix_ignore_case(text, "mailto:") {
        text = rest;
    }
    if let Some(host) = plain_url_host(text) {
        return finish_host(&host.to_ascii_lowercase());
    }
    let owned;
    let candidate = if let Some((scheme, rest)) = text.split_once("://") {
        // Only the web schemes give a host in its canonical form (lowercased, IDNA-mapped); under
        // any other scheme (`ftp`, a typo such as `htps`) the URL parser keeps an opaque host, so
        // the authority is read as a web URL's.
        if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") {
            text
        } else {
            owned = format!("http://{rest}");
            owned.as_str()
        }
    } else {
        // An email address (or a bare `user@host`) is reduced to its domain part.
        let host_part = match text.rsplit_once('@') {
            Some((_, domain)) => domain,
            None => text,
        };
        if is_plain_ascii_host(host_part) {
            return finish_host(&host_part.to_ascii_lowercase());
        }
        owned = format!("http://{host_part}");
        owned.as_str()
    };
    let url = Url::parse(candidate).ok()?;
    let host = match url.host()? {
        Host::Domain(domain) => domain.to_string(),
        Host::Ipv4(_) | Host::Ipv6(_) => return None,
    };
    finish_host(&host)
}

/// The host of a plain `http(s)://host[:port][/path]` URL when it is a plain ASCII host (see
/// [`is_plain_ascii_host`]); anything else (credentials, odd ports) goes through URL parsing.
fn plain_url_host(text: &str) -> Option<&str> {
    let rest = strip_prefix_ignore_case(text, "https://")
        .or_else(|| strip_prefix_ignore_case(text, "http://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..end)?;
    let host = match authority.split_once(':') {
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => host,
        Some(_) => return None,
        None => authority,
    };
    is_plain_ascii_host(host).then_some(host)
}

/// A host made only of ASCII letters, digits, hyphens and dots, with a final label that holds a
/// letter (so not an IPv4 address) and no punycode label (which needs validation): it needs no
/// URL parsing, only lowercasing. Hosts are compared by the thousand, so this path matters.
fn is_plain_ascii_host(text: &str) -> bool {
    if text.is_empty()
        || !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return false;
    }
    let last = text
        .trim_end_matches('.')
        .rsplit('.')
        .next()
        .unwrap_or_default();
    let has_letter = last.bytes().any(|b| b.is_ascii_alphabetic());
    let hex_like = last.len() > 1 && last.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("0x"));
    let punycode = text.split('.').any(|label| {
        label
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("xn--"))
    });
    has_letter && !hex_like && !punycode
}

/// The checks shared by both paths, on a lowercase host.
fn finish_host(host: &str) -> Option<String> {
    let mut host = host.trim_end_matches('.');
    while let Some(rest) = host.strip_prefix("www.") {
        host = rest;
    }
    // Host names are letters, digits, hyphens (and underscores in some records): the URL parser
    // lets other characters such as `$` through, which no registered domain holds.
    if !host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return None;
    }
    if host == "localhost" || host.ends_with(".localhost") || !host.contains('.') {
        return None;
    }
    if host.split('.').any(|label| label.is_empty()) {
        return None;
    }
    // A top-level domain starts with a letter (`com`, `xn--p1ai`): `9998.065` or `a.0x22` is a
    // mistyped address, not a host.
    let tld = host.rsplit('.').next().unwrap_or_default();
    if !tld.bytes().next().is_some_and(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    Some(host.to_string())
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        text.get(prefix.len()..)
    } else {
        None
    }
}

/// The registrable domain (public suffix plus one label) of an already normalized host.
///
/// `None` when the host is itself a public suffix (`co.uk`): such a value identifies nobody.
pub fn registrable_domain(host: &str) -> Option<String> {
    let domain = psl::domain_str(host)?;
    if domain.contains('.') {
        Some(domain.to_string())
    } else {
        None
    }
}

/// Whether a registrable domain is Microsoft's initial `*.onmicrosoft.com` (and its national
/// cloud variants): every tenant has one, so it says nothing about which client owns the tenant.
pub fn is_onmicrosoft(host: &str) -> bool {
    const SUFFIXES: &[&str] = &[
        "onmicrosoft.com",
        "onmicrosoft.de",
        "onmicrosoft.us",
        "onmschina.cn",
    ];
    SUFFIXES.iter().any(|suffix| {
        host == *suffix
            || host
                .strip_suffix(suffix)
                .is_some_and(|head| head.ends_with('.'))
    })
}

/// Consumer mailbox providers, by registrable domain: thousands of unrelated people share them.
const PUBLIC_MAILBOX_DOMAINS: &[&str] = &[
    "163.com",
    "126.com",
    "aim.com",
    "aol.com",
    "arcor.de",
    "att.net",
    "bigpond.com",
    "bluewin.ch",
    "btinternet.com",
    "comcast.net",
    "cox.net",
    "earthlink.net",
    "fastmail.com",
    "fastmail.fm",
    "free.fr",
    "freenet.de",
    "hey.com",
    "hushmail.com",
    "icloud.com",
    "inbox.com",
    "laposte.net",
    "libero.it",
    "mac.com",
    "mail.com",
    "mail.ru",
    "me.com",
    "msn.com",
    "naver.com",
    "orange.fr",
    "pm.me",
    "proton.me",
    "protonmail.ch",
    "protonmail.com",
    "qq.com",
    "rediffmail.com",
    "rocketmail.com",
    "sbcglobal.net",
    "seznam.cz",
    "shaw.ca",
    "sky.com",
    "t-online.de",
    "tuta.io",
    "tutanota.com",
    "verizon.net",
    "virginmedia.com",
    "wanadoo.fr",
    "web.de",
    "xtra.co.nz",
    "ymail.com",
    "zoho.com",
    "zohomail.com",
];

/// Provider brands that register the same mailbox service under many country suffixes
/// (`gmx.de`, `gmx.at`, `yahoo.co.uk`, `hotmail.fr`, `outlook.com.au`, ...).
const PUBLIC_MAILBOX_BRANDS: &[&str] = &[
    "aol",
    "gmail",
    "gmx",
    "googlemail",
    "hotmail",
    "live",
    "outlook",
    "protonmail",
    "windowslive",
    "yahoo",
    "yandex",
];

/// Whether a registrable domain belongs to a public mailbox provider.
pub fn is_public_mailbox(registrable: &str) -> bool {
    if PUBLIC_MAILBOX_DOMAINS.contains(&registrable) {
        return true;
    }
    let brand = registrable.split('.').next().unwrap_or_default();
    PUBLIC_MAILBOX_BRANDS.contains(&brand)
}

/// Reduces a raw domain, URL or address to the registrable domain that may serve as evidence of
/// ownership, or `None` when it cannot: not a host, a bare public suffix, an `onmicrosoft`
/// domain or a public mailbox provider.
pub fn evidence_domain(raw: &str) -> Option<String> {
    evidence_of_host(&normalize_domain(raw)?)
}

/// [`evidence_domain`] for a host already normalized by [`normalize_domain`].
pub fn evidence_of_host(host: &str) -> Option<String> {
    if is_onmicrosoft(host) {
        return None;
    }
    let registrable = registrable_domain(host)?;
    if is_public_mailbox(&registrable) {
        return None;
    }
    Some(registrable)
}

/// The tenant's own label in an initial `contoso.onmicrosoft.com` domain (`contoso`): tenants are
/// often created with the organisation's name there, so it can hint at a client's name.
pub fn onmicrosoft_label(raw: &str) -> Option<String> {
    let host = normalize_domain(raw)?;
    if !is_onmicrosoft(&host) {
        return None;
    }
    let mut labels = host.split('.');
    let label = labels.next()?;
    // `contoso.mail.onmicrosoft.com` still names `contoso`; the bare suffix names nobody.
    if labels.count() < 2 || label.is_empty() {
        return None;
    }
    Some(label.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_urls_emails_and_case() {
        for raw in [
            "contoso.com",
            "CONTOSO.COM",
            " https://www.contoso.com:8443/about?x=1#top ",
            "http://contoso.com.",
            "jane.doe@Contoso.com",
            "mailto:jane@contoso.com",
            "www.contoso.com/path",
        ] {
            assert_eq!(
                normalize_domain(raw).as_deref(),
                Some("contoso.com"),
                "{raw}"
            );
        }
    }

    #[test]
    fn plain_and_parsed_paths_agree() {
        for raw in [
            "Contoso.COM.",
            "a-b.contoso.co.uk",
            "0x7f.1",
            "1.2.3.4",
            "xn--mller-kva.de",
            "xn--invalid--.de",
            "-lead.contoso.com",
        ] {
            for url in [format!("https://{raw}/x?y#z"), format!("HTTP://{raw}:8080")] {
                let parsed = Url::parse(&url).ok().and_then(|u| match u.host() {
                    Some(Host::Domain(d)) => finish_host(d),
                    _ => None,
                });
                assert_eq!(normalize_domain(&url), parsed, "{url}");
            }
            let parsed = Url::parse(&format!("http://{raw}"))
                .ok()
                .and_then(|u| match u.host() {
                    Some(Host::Domain(d)) => finish_host(d),
                    _ => None,
                });
            assert_eq!(normalize_domain(raw), parsed, "{raw}");
        }
    }

    #[test]
    fn internationalized_names_have_one_form() {
        let unicode = normalize_domain("Müller.de").unwrap();
        let puny = normalize_domain("xn--mller-kva.de").unwrap();
        assert_eq!(unicode, puny);
        assert_eq!(unicode, "xn--mller-kva.de");
    }

    /// Found by fuzzing: under a scheme other than http(s) the URL parser kept an opaque,
    /// percent-encoded host in its original case.
    #[test]
    fn other_schemes_give_the_canonical_host() {
        let cases: &[(&str, Option<&str>)] = &[
            ("htt://wwwww.Cont\u{fffd}so.com/", None),
            ("ftp://FTP.Contoso.com/files", Some("ftp.contoso.com")),
            ("HTPS://www.Contoso.com/about", Some("contoso.com")),
            ("custom://M\u{dc}LLER.de", Some("xn--mller-kva.de")),
            // Also found by fuzzing: an escaped dot left an all-digit top-level label.
            ("9998.065%2E.", None),
            ("--.-w.0x22%2E.\u{10}", None),
            // And: `www.` twice, and a `$` the URL parser lets through.
            ("www.www.Contoso.com", Some("contoso.com")),
            ("con$toso.com", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(normalize_domain(raw).as_deref(), *expected, "{raw:?}");
        }
    }

    #[test]
    fn rejects_non_domains() {
        for raw in [
            "",
            "localhost",
            "http://localhost:3000",
            "10.0.0.1",
            "https://192.168.1.1/admin",
            "[::1]",
            "contoso",
            "jane@localhost",
            "not a domain",
            "a..b.com",
        ] {
            assert_eq!(normalize_domain(raw), None, "{raw}");
        }
    }

    #[test]
    fn registrable_domain_uses_the_public_suffix_list() {
        assert_eq!(
            registrable_domain("portal.contoso.com").as_deref(),
            Some("contoso.com")
        );
        assert_eq!(
            registrable_domain("contoso.co.uk").as_deref(),
            Some("contoso.co.uk")
        );
        assert_eq!(
            registrable_domain("mail.contoso.co.uk").as_deref(),
            Some("contoso.co.uk")
        );
        assert_eq!(registrable_domain("co.uk"), None);
    }

    #[test]
    fn onmicrosoft_and_public_mailboxes_are_never_evidence() {
        for raw in [
            "contoso.onmicrosoft.com",
            "contoso.mail.onmicrosoft.com",
            "gmail.com",
            "jane@outlook.com",
            "hotmail.co.uk",
            "gmx.de",
            "gmx.net",
            "yahoo.co.jp",
            "proton.me",
            "icloud.com",
            "aol.com",
            "live.com",
        ] {
            assert_eq!(evidence_domain(raw), None, "{raw}");
        }
        assert_eq!(
            evidence_domain("https://portal.contoso.co.uk/").as_deref(),
            Some("contoso.co.uk")
        );
    }

    #[test]
    fn onmicrosoft_label_is_a_name_hint() {
        assert_eq!(
            onmicrosoft_label("ContosoLtd.onmicrosoft.com").as_deref(),
            Some("contosoltd")
        );
        assert_eq!(onmicrosoft_label("contoso.com"), None);
        assert_eq!(onmicrosoft_label("onmicrosoft.com"), None);
    }
}
