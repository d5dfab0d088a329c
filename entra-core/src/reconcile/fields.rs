//! The field guard: which contact values sync may write, derived from a user.
//!
//! A field is written only when its toggle is on and the upstream value differs; a blank upstream
//! value never overwrites a non-blank local one, and phone sync only ever adds numbers.

use std::borrow::Cow;

use crate::filter::tokens::{is_address, local_part};
use crate::model::{Contact, EntraUser, FieldSync, PhoneNumber, PhoneType};

use super::action::ContactPatch;
use super::addresses::same_address;

fn non_blank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// The name Entra gives the user: display name, else given name and surname.
fn entra_name(user: &EntraUser) -> Option<Cow<'_, str>> {
    if let Some(name) = non_blank(user.display_name.as_deref()) {
        return Some(Cow::Borrowed(name));
    }
    let parts: Vec<&str> = [user.given_name.as_deref(), user.surname.as_deref()]
        .into_iter()
        .filter_map(non_blank)
        .collect();
    (!parts.is_empty()).then(|| Cow::Owned(parts.join(" ")))
}

/// The address a contact should carry: mail, else UPN (whichever is an address).
pub(crate) fn entra_email(user: &EntraUser) -> Option<&str> {
    [user.email.as_deref(), user.user_principal_name.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|a| is_address(a))
}

/// The address an update may write over `contact`'s email: the mail; the UPN only fills a blank
/// local email. A user without a mailbox (no `mail`) must not replace a real address with a
/// sign-in name.
fn entra_email_for<'u>(user: &'u EntraUser, contact: &Contact) -> Option<&'u str> {
    let mail = user
        .email
        .as_deref()
        .map(str::trim)
        .filter(|m| is_address(m));
    match mail {
        Some(mail) => Some(mail),
        None if non_blank(contact.email.as_deref()).is_none() => entra_email(user),
        None => None,
    }
}

/// The digits of a number: two spellings of one number share them.
fn digits(number: &str) -> impl Iterator<Item = char> + '_ {
    number.chars().filter(char::is_ascii_digit)
}

fn same_number(a: &str, b: &str) -> bool {
    digits(a).eq(digits(b))
}

/// Business phones as `work`, the mobile phone as `mobile`; values without a digit are dropped
/// and a number listed twice is kept once.
fn entra_phones(user: &EntraUser) -> impl Iterator<Item = (&str, PhoneType)> {
    let business = user
        .business_phones
        .iter()
        .map(|n| (n.trim(), PhoneType::Work));
    let mobile = user
        .mobile_phone
        .iter()
        .map(|n| (n.trim(), PhoneType::Mobile));
    let all = business.chain(mobile);
    all.clone()
        .enumerate()
        .filter_map(move |(i, (number, kind))| {
            let first = !all
                .clone()
                .take(i)
                .any(|(earlier, _)| same_number(earlier, number));
            (digits(number).next().is_some() && first).then_some((number, kind))
        })
}

/// The contact a `create` adds for `user` under `client_id`.
pub(crate) fn new_contact(
    user: &EntraUser,
    contact_id: String,
    client_id: &str,
    toggles: &FieldSync,
) -> Contact {
    let email = entra_email(user);
    let full_name = entra_name(user)
        .map(Cow::into_owned)
        .or_else(|| email.map(|e| local_part(e).to_string()));
    let mut contact = Contact::new(contact_id, client_id);
    contact.full_name = full_name;
    contact.email = email.map(str::to_string);
    contact.role = non_blank(user.job_title.as_deref()).map(str::to_string);
    contact.phone_numbers = entra_phones(user)
        .map(|(number, kind)| PhoneNumber {
            number: number.to_string(),
            kind,
        })
        .collect();
    if toggles.upn {
        contact.user_principal_name =
            non_blank(user.user_principal_name.as_deref()).map(str::to_string);
    }
    contact
}

/// The fields of `contact` that the toggles allow sync to bring in line with `user`.
pub(crate) fn patch_for(user: &EntraUser, contact: &Contact, toggles: &FieldSync) -> ContactPatch {
    let mut patch = ContactPatch::default();
    if toggles.display_name
        && let Some(name) = entra_name(user)
        && contact.full_name.as_deref() != Some(name.as_ref())
    {
        patch.full_name = Some(name.into_owned());
    }
    if toggles.email
        && let Some(email) = entra_email_for(user, contact)
        && !contact
            .email
            .as_deref()
            .is_some_and(|e| same_address(e, email))
    {
        patch.email = Some(email.to_string());
        patch.additional_emails = kept_previous_email(contact, email);
    }
    if toggles.job_title
        && let Some(role) = non_blank(user.job_title.as_deref())
        && contact.role.as_deref() != Some(role)
    {
        patch.role = Some(role.to_string());
    }
    if toggles.upn
        && let Some(upn) = non_blank(user.user_principal_name.as_deref())
        && !contact
            .user_principal_name
            .as_deref()
            .is_some_and(|u| same_address(u, upn))
    {
        patch.user_principal_name = Some(upn.to_string());
    }
    if toggles.phone {
        patch.phone_numbers = merged_phones(user, contact);
    }
    patch
}

/// The additional emails once `contact`'s email is replaced by `new_email`: the previous email is
/// appended unless it is blank or already there. `None` when the list does not change.
fn kept_previous_email(contact: &Contact, new_email: &str) -> Option<Vec<String>> {
    let previous = non_blank(contact.email.as_deref())?;
    let known = same_address(previous, new_email)
        || contact
            .additional_emails
            .iter()
            .any(|e| same_address(e, previous));
    if known {
        return None;
    }
    let mut list = contact.additional_emails.clone();
    list.push(previous.to_string());
    Some(list)
}

/// The local list plus the Entra numbers it lacks, or `None` when nothing is missing.
fn merged_phones(user: &EntraUser, contact: &Contact) -> Option<Vec<PhoneNumber>> {
    let mut missing = entra_phones(user)
        .filter(|(number, _)| {
            !contact
                .phone_numbers
                .iter()
                .any(|local| same_number(&local.number, number))
        })
        .peekable();
    missing.peek()?;
    let mut merged = contact.phone_numbers.clone();
    merged.extend(missing.map(|(number, kind)| PhoneNumber {
        number: number.to_string(),
        kind,
    }));
    Some(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_on() -> FieldSync {
        FieldSync {
            display_name: true,
            email: true,
            phone: true,
            job_title: true,
            upn: true,
        }
    }

    #[test]
    fn name_falls_back_to_given_and_surname_then_local_part() {
        let mut u = EntraUser::new("t", "o");
        u.user_principal_name = Some("jdoe@contoso.com".into());
        let c = new_contact(&u, "c".into(), "k", &FieldSync::default());
        assert_eq!(c.full_name.as_deref(), Some("jdoe"));
        u.given_name = Some("Jane".into());
        u.surname = Some("Doe".into());
        let c = new_contact(&u, "c".into(), "k", &FieldSync::default());
        assert_eq!(c.full_name.as_deref(), Some("Jane Doe"));
        assert_eq!(c.email.as_deref(), Some("jdoe@contoso.com"));
        assert_eq!(c.user_principal_name, None);
    }

    #[test]
    fn phones_without_digits_are_dropped() {
        let mut u = EntraUser::new("t", "o");
        u.business_phones = vec!["n/a".into(), "+1 555 0100".into(), "+15550100".into()];
        u.mobile_phone = Some("+1 555 0199".into());
        let c = new_contact(&u, "c".into(), "k", &FieldSync::default());
        assert_eq!(c.phone_numbers.len(), 2);
        assert_eq!(c.phone_numbers[1].kind, PhoneType::Mobile);
    }

    #[test]
    fn blank_upstream_never_overwrites_and_phones_only_add() {
        let mut u = EntraUser::new("t", "o");
        u.display_name = Some("  ".into());
        u.business_phones = vec!["+1 555 0100".into()];
        let mut c = Contact::new("c", "k");
        c.full_name = Some("Local Name".into());
        c.phone_numbers = vec![PhoneNumber {
            number: "555 0000".into(),
            kind: PhoneType::Other,
        }];
        let p = patch_for(&u, &c, &all_on());
        assert_eq!(p.full_name, None);
        let phones = p.phone_numbers.unwrap();
        assert_eq!(phones.len(), 2);
        assert_eq!(phones[0].number, "555 0000");
    }

    #[test]
    fn toggles_off_write_nothing() {
        let mut u = EntraUser::new("t", "o");
        u.display_name = Some("New".into());
        u.job_title = Some("CEO".into());
        let c = Contact::new("c", "k");
        assert!(patch_for(&u, &c, &FieldSync::default()).is_empty());
    }
}
