//! Splitting names and address local parts into words without allocating, so the built-in rules
//! can match whole words ("bot" in "teams-bot") and never fragments of names ("Abbott").

/// The words of `text`: maximal runs of alphanumeric characters.
pub(crate) fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// The part of an address before the last `@`, or the whole text when it has none.
pub(crate) fn local_part(address: &str) -> &str {
    match address.rfind('@') {
        Some(at) => address.get(..at).unwrap_or(address),
        None => address,
    }
}

/// Whether `text` looks like an email address: something, one `@`, a dotted domain, no spaces.
pub(crate) fn is_address(text: &str) -> bool {
    let text = text.trim();
    let bytes = text.as_bytes();
    let Some(at) = bytes.iter().rposition(|&b| b == b'@') else {
        return false;
    };
    let (local, domain) = (&bytes[..at], &bytes[at + 1..]);
    let spaced = if text.is_ascii() {
        bytes.iter().any(u8::is_ascii_whitespace)
    } else {
        text.chars().any(char::is_whitespace)
    };
    !local.is_empty()
        && domain.len() >= 3
        && domain.contains(&b'.')
        && domain.first() != Some(&b'.')
        && domain.last() != Some(&b'.')
        && !spaced
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_on_punctuation() {
        let got: Vec<&str> = words("svc-Backup_01.x").collect();
        assert_eq!(got, ["svc", "Backup", "01", "x"]);
        assert_eq!(words("--").count(), 0);
    }

    #[test]
    fn local_part_uses_last_at() {
        assert_eq!(local_part("a@b@c.com"), "a@b");
        assert_eq!(local_part("plain"), "plain");
    }

    #[test]
    fn addresses_need_a_dotted_domain() {
        assert!(is_address("jane@contoso.com"));
        assert!(is_address(" jane@contoso.com "));
        assert!(!is_address("jane"));
        assert!(!is_address("jane@localhost"));
        assert!(!is_address("@contoso.com"));
        assert!(!is_address("ja ne@contoso.com"));
        assert!(!is_address(""));
    }
}
