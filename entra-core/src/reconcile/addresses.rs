//! Email addresses as the planner compares them: trimmed and Unicode-lowercased, from every place
//! a user or a contact can carry one.

use std::collections::hash_map::Entry;

use crate::filter::tokens::is_address;
use crate::model::{Contact, EntraUser};

use super::hashing::{FastMap, FastSet, map_with_capacity};

/// The comparable form of an address, or `None` when the text is not an address.
pub(crate) fn normalize(address: &str) -> Option<String> {
    let mut out = String::new();
    normalize_into(&mut out, address).then_some(out)
}

/// Writes the comparable form of `address` into `out` (reusing its buffer); `false` when the text
/// is not an address.
pub(crate) fn normalize_into(out: &mut String, address: &str) -> bool {
    out.clear();
    let trimmed = address.trim();
    if !is_address(trimmed) {
        return false;
    }
    if trimmed.is_ascii() {
        out.extend(trimmed.chars().map(|c| c.to_ascii_lowercase()));
    } else {
        out.extend(trimmed.chars().flat_map(char::to_lowercase));
    }
    true
}

/// Whether two addresses are the same once normalized.
pub(crate) fn same_address(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

/// One address of a user; `primary` when it is the mail or the UPN (an `email_match` source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserAddress {
    pub(crate) address: String,
    pub(crate) primary: bool,
}

/// Calls `f` with every address of `user` (mail and UPN as primary, then SMTP proxy addresses and
/// other mails), normalized into a reused buffer; an address may come more than once. Raw texts
/// that `prefilter` rejects (given trimmed) are skipped before the cost of normalizing them.
pub(crate) fn for_each_user_address(
    user: &EntraUser,
    buf: &mut String,
    prefilter: impl Fn(&str) -> bool,
    mut f: impl FnMut(&str, bool),
) {
    let primaries = [user.email.as_deref(), user.user_principal_name.as_deref()];
    let primaries = primaries.into_iter().flatten().map(|raw| (raw, true));
    let proxies = user.proxy_addresses.iter().filter_map(|p| smtp_proxy(p));
    let others = user.other_mails.iter().map(String::as_str);
    for (raw, primary) in primaries.chain(proxies.chain(others).map(|raw| (raw, false))) {
        if prefilter(raw.trim()) && normalize_into(buf, raw) {
            f(buf, primary);
        }
    }
}

/// Mail, UPN, SMTP proxy addresses and other mails, normalized and de-duplicated (a primary
/// occurrence wins over an alias one).
pub(crate) fn user_addresses(user: &EntraUser) -> Vec<UserAddress> {
    let mut out: Vec<UserAddress> = Vec::with_capacity(4);
    // Position of each address in `out`, once a user has more than a handful.
    let mut seen: FastMap<String, usize> = FastMap::default();
    let mut push = |raw: &str, primary: bool| {
        let Some(address) = normalize(raw) else {
            return;
        };
        let existing = if out.len() < 8 {
            out.iter().position(|a| a.address == address)
        } else {
            if seen.is_empty() {
                seen.extend(out.iter().enumerate().map(|(i, a)| (a.address.clone(), i)));
            }
            seen.get(&address).copied()
        };
        match existing.and_then(|i| out.get_mut(i)) {
            Some(existing) => existing.primary |= primary,
            None => {
                if !seen.is_empty() {
                    seen.insert(address.clone(), out.len());
                }
                out.push(UserAddress { address, primary });
            }
        }
    };
    for primary in [user.email.as_deref(), user.user_principal_name.as_deref()]
        .into_iter()
        .flatten()
    {
        push(primary, true);
    }
    for proxy in &user.proxy_addresses {
        if let Some(address) = smtp_proxy(proxy) {
            push(address, false);
        }
    }
    for other in &user.other_mails {
        push(other, false);
    }
    out
}

/// The address of an `SMTP:`/`smtp:` proxy entry; other proxy types (`SIP:`, `X500:`) are not
/// mail addresses. An entry without a type prefix is taken as an address.
fn smtp_proxy(proxy: &str) -> Option<&str> {
    let proxy = proxy.trim();
    match proxy.split_once(':') {
        Some((kind, address)) if kind.eq_ignore_ascii_case("smtp") => Some(address),
        Some((kind, _)) if !kind.contains('@') => None,
        _ => Some(proxy),
    }
}

/// Where a contact holds an address: `email` (`primary`) or `additionalEmails`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ContactHit {
    pub(crate) contact: usize,
    pub(crate) primary: bool,
}

/// The contacts holding one address, in input order; almost always exactly one, kept inline.
#[derive(Debug, Clone)]
pub(crate) struct Hits {
    first: ContactHit,
    more: Vec<ContactHit>,
}

impl Hits {
    pub(crate) fn iter(&self) -> impl Iterator<Item = &ContactHit> {
        std::iter::once(&self.first).chain(&self.more)
    }

    /// Adds a hit; hits arrive in contact order, so a repeat of a contact (its email also in its
    /// `additionalEmails`) can only be the last hit, and adding stays constant-time however many
    /// contacts share the address.
    fn add(&mut self, hit: ContactHit) {
        let last = match self.more.last_mut() {
            Some(last) => last,
            None => &mut self.first,
        };
        if last.contact == hit.contact {
            last.primary |= hit.primary;
        } else {
            self.more.push(hit);
        }
    }
}

/// The contacts holding each of the `wanted` addresses (normalized), in input order. Only the
/// addresses of users that need matching are indexed, which in a steady-state sync is a small
/// fraction of the contact list.
pub(crate) fn index_contacts(
    contacts: &[Contact],
    wanted: &FastSet<String>,
) -> FastMap<String, Hits> {
    let mut index: FastMap<String, Hits> = map_with_capacity(wanted.len());
    if wanted.is_empty() {
        return index;
    }
    let mut buf = String::new();
    for (i, contact) in contacts.iter().enumerate() {
        let primary = contact.email.as_deref().map(|e| (e, true));
        let others = contact
            .additional_emails
            .iter()
            .map(|e| (e.as_str(), false));
        for (raw, is_primary) in primary.into_iter().chain(others) {
            if !normalize_into(&mut buf, raw) || !wanted.contains(buf.as_str()) {
                continue;
            }
            let hit = ContactHit {
                contact: i,
                primary: is_primary,
            };
            match index.entry(buf.clone()) {
                Entry::Occupied(mut e) => e.get_mut().add(hit),
                Entry::Vacant(e) => {
                    e.insert(Hits {
                        first: hit,
                        more: Vec::new(),
                    });
                }
            }
        }
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_and_space_unicode_too() {
        assert_eq!(
            normalize("  Jane@Contoso.COM "),
            Some("jane@contoso.com".into())
        );
        assert_eq!(
            normalize("ÉLODIE@exemple.fr"),
            Some("élodie@exemple.fr".into())
        );
        assert_eq!(normalize("not an address"), None);
        assert!(same_address("ÉLODIE@exemple.fr", " élodie@EXEMPLE.fr"));
    }

    #[test]
    fn collects_every_user_address_once() {
        let mut u = EntraUser::new("t", "o");
        u.email = Some("Jane@contoso.com".into());
        u.user_principal_name = Some("jane@contoso.com".into());
        u.proxy_addresses = vec![
            "SMTP:jane@contoso.com".into(),
            "smtp:j.doe@contoso.com".into(),
            "SIP:jane@contoso.com".into(),
            "X500:/o=Exchange".into(),
        ];
        u.other_mails = vec!["jane@gmail.com".into()];
        let got: Vec<(String, bool)> = user_addresses(&u)
            .into_iter()
            .map(|a| (a.address, a.primary))
            .collect();
        assert_eq!(
            got,
            [
                ("jane@contoso.com".to_string(), true),
                ("j.doe@contoso.com".to_string(), false),
                ("jane@gmail.com".to_string(), false),
            ]
        );
    }

    #[test]
    fn a_user_with_many_aliases_is_collected_without_quadratic_work() {
        let mut u = EntraUser::new("t", "o");
        u.email = Some("alias5@contoso.com".into());
        u.proxy_addresses = (0..200_000)
            .map(|i| format!("smtp:alias{i}@contoso.com"))
            .collect();
        u.other_mails = vec!["ALIAS7@contoso.com".into(), "new@contoso.com".into()];
        let got = user_addresses(&u);
        assert_eq!(got.len(), 200_001);
        assert_eq!(got[0].address, "alias5@contoso.com");
        assert!(got[0].primary);
        assert_eq!(got.iter().filter(|a| a.primary).count(), 1);
        assert_eq!(got[200_000].address, "new@contoso.com");
    }
}
