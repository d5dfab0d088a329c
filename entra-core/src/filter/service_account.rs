//! Built-in rules that recognise non-person accounts (service, no-reply, directory sync, shared,
//! scanner, break-glass). They read only address local parts and the display name, word by word,
//! so a surname such as "Abbott" or a domain such as `robotics.io` never trips them.

use crate::model::EntraUser;

use super::tokens::{local_part, trimmed, words};

/// The display name Azure AD Connect gives its synchronization account.
pub(super) const DIRECTORY_SYNC_DISPLAY_NAME: &str =
    "On-Premises Directory Synchronization Service Account";

/// Single words that mark a non-person account, with the rule they belong to.
pub(super) const WORD_RULES: &[(&str, &str)] = &[
    ("svc", "service_account_prefix"),
    ("noreply", "no_reply"),
    ("donotreply", "no_reply"),
    ("dontreply", "no_reply"),
    ("sharedmailbox", "shared_mailbox"),
    ("scanner", "scanner_printer"),
    ("scanners", "scanner_printer"),
    ("scan", "scanner_printer"),
    ("scan2email", "scanner_printer"),
    ("scan2mail", "scanner_printer"),
    ("scantoemail", "scanner_printer"),
    ("scantomail", "scanner_printer"),
    ("scantofolder", "scanner_printer"),
    ("printer", "scanner_printer"),
    ("printers", "scanner_printer"),
    ("copier", "scanner_printer"),
    ("breakglass", "break_glass"),
    ("emergencyaccess", "break_glass"),
    ("adtoaadsyncserviceaccount", "directory_sync"),
];

/// Consecutive words that mark a non-person account ("no-reply", "Shared Mailbox", "break.glass").
pub(super) const PHRASE_RULES: &[(&[&str], &str)] = &[
    (&["no", "reply"], "no_reply"),
    (&["do", "not", "reply"], "no_reply"),
    (&["dont", "reply"], "no_reply"),
    (&["shared", "mailbox"], "shared_mailbox"),
    (&["scan", "to", "email"], "scanner_printer"),
    (&["break", "glass"], "break_glass"),
    (&["emergency", "access"], "break_glass"),
    (&["emergency", "admin"], "break_glass"),
];

/// The built-in rule that marks `user` as a non-person account, if any.
pub(crate) fn builtin_rule(user: &EntraUser) -> Option<&'static str> {
    let locals = [user.email.as_deref(), user.user_principal_name.as_deref()];
    for address in locals.into_iter().flatten() {
        let local = local_part(trimmed(address));
        if is_directory_sync_local_part(local) {
            return Some("directory_sync");
        }
        if let Some(rule) = word_rule(local) {
            return Some(rule);
        }
    }
    if let Some(name) = user.display_name.as_deref() {
        if trimmed(name).eq_ignore_ascii_case(DIRECTORY_SYNC_DISPLAY_NAME) {
            return Some("directory_sync");
        }
        if let Some(rule) = word_rule(name) {
            return Some(rule);
        }
    }
    None
}

/// Azure AD Connect accounts: `Sync_<host>_<hex id>`.
fn is_directory_sync_local_part(local: &str) -> bool {
    let first = local.split('_').next().unwrap_or_default();
    let last = local.rsplit('_').next().unwrap_or_default();
    first.eq_ignore_ascii_case("sync")
        && local.split('_').count() >= 3
        && last.len() >= 6
        && last.chars().all(|c| c.is_ascii_hexdigit())
}

/// First letters of the words in [`WORD_RULES`].
const WORD_INITIALS: &[u8] = b"abcdenps";
/// First letters of the last words of [`PHRASE_RULES`].
const PHRASE_FINAL_INITIALS: &[u8] = b"aegmr";

/// Matches the word and phrase rules against `text`, word by word.
fn word_rule(text: &str) -> Option<&'static str> {
    // The last three words, newest last, enough for the longest phrase.
    let mut recent: [&str; 3] = ["", "", ""];
    for word in words(text) {
        // "scanner2", "breakglass01": a numbered account is still the same kind of account.
        let stem = if word.as_bytes().last().is_some_and(u8::is_ascii_digit) {
            word.trim_end_matches(|c: char| c.is_ascii_digit())
        } else {
            word
        };
        recent = [recent[1], recent[2], stem];
        // Most words start with a letter no rule starts (or ends) with: skip them cheaply.
        let initial = word.as_bytes().first().map(u8::to_ascii_lowercase);
        if initial.is_some_and(|i| WORD_INITIALS.contains(&i)) {
            for (rule_word, rule) in WORD_RULES {
                if word.eq_ignore_ascii_case(rule_word) || stem.eq_ignore_ascii_case(rule_word) {
                    return Some(rule);
                }
            }
        }
        if initial.is_some_and(|i| PHRASE_FINAL_INITIALS.contains(&i)) {
            for (phrase, rule) in PHRASE_RULES {
                if ends_with_phrase(&recent, phrase) {
                    return Some(rule);
                }
            }
        }
    }
    None
}

fn ends_with_phrase(recent: &[&str; 3], phrase: &[&str]) -> bool {
    let Some(start) = recent.len().checked_sub(phrase.len()) else {
        return false;
    };
    recent.get(start..).is_some_and(|tail| {
        tail.iter()
            .zip(phrase)
            .all(|(w, p)| w.eq_ignore_ascii_case(p))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(upn: &str, name: &str) -> EntraUser {
        let mut u = EntraUser::new("t", "o");
        u.user_principal_name = Some(upn.to_string());
        u.display_name = Some(name.to_string());
        u
    }

    #[test]
    fn recognises_service_accounts() {
        let cases = [
            ("svc-backup@contoso.com", "Backup", "service_account_prefix"),
            ("svc_sql@contoso.com", "SQL", "service_account_prefix"),
            ("svc.crm@contoso.com", "CRM", "service_account_prefix"),
            ("noreply@contoso.com", "Contoso", "no_reply"),
            ("no-reply@contoso.com", "Contoso", "no_reply"),
            ("DoNotReply@contoso.com", "Contoso", "no_reply"),
            ("do.not.reply@contoso.com", "Contoso", "no_reply"),
            (
                "Sync_DC01_1a2b3c4d5e6f@contoso.onmicrosoft.com",
                "x",
                "directory_sync",
            ),
            (
                "sync@contoso.com",
                DIRECTORY_SYNC_DISPLAY_NAME,
                "directory_sync",
            ),
            (
                "info@contoso.com",
                "Shared Mailbox - Info",
                "shared_mailbox",
            ),
            ("scanner@contoso.com", "Floor 2", "scanner_printer"),
            ("printer-hq@contoso.com", "HQ", "scanner_printer"),
            ("breakglass01@contoso.com", "Admin", "break_glass"),
            ("ea1@contoso.com", "Emergency Access Admin", "break_glass"),
            ("break.glass@contoso.com", "Admin", "break_glass"),
        ];
        for (upn, name, rule) in cases {
            assert_eq!(builtin_rule(&user(upn, name)), Some(rule), "{upn} / {name}");
        }
    }

    #[test]
    fn leaves_people_alone() {
        let cases = [
            ("jane.abbott@contoso.com", "Jane Abbott"),
            ("mark.talbot@contoso.com", "Mark Talbot"),
            ("rob.bothwell@contoso.com", "Rob Bothwell"),
            ("sam.saunders@contoso.com", "Sam Saunders"),
            ("anna@bottomline.com", "Anna Lind"),
            ("ops@robotics.io", "Robotics Ops Team"),
            ("lee@acme-automation.com", "Lee Park"),
            ("sync.lead@contoso.com", "Sync Lead"),
            ("svcs@contoso.com", "Ivan Svcek"),
            ("scanlon@contoso.com", "Sarah Scanlon"),
            ("noreen.plyler@contoso.com", "Noreen Plyler"),
        ];
        for (upn, name) in cases {
            assert_eq!(builtin_rule(&user(upn, name)), None, "{upn} / {name}");
        }
    }
}
