//! Splitting names and address local parts into words without allocating, so the built-in rules
//! can match whole words ("bot" in "teams-bot") and never fragments of names ("Abbott").

/// The words of `text`: maximal runs of alphanumeric characters. ASCII text (nearly every
/// address and most names) is split byte by byte, without decoding characters.
pub(crate) fn words(text: &str) -> Words<'_> {
    Words {
        text,
        pos: 0,
        ascii: text.is_ascii(),
    }
}

/// Iterator of [`words`].
pub(crate) struct Words<'a> {
    text: &'a str,
    pos: usize,
    ascii: bool,
}

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.text.get(self.pos..)?;
        let (start, end) = if self.ascii {
            let bytes = rest.as_bytes();
            let start = bytes.iter().position(u8::is_ascii_alphanumeric)?;
            let len = bytes
                .get(start..)
                .and_then(|tail| tail.iter().position(|b| !b.is_ascii_alphanumeric()))
                .unwrap_or(bytes.len() - start);
            (start, start + len)
        } else {
            let start = rest.find(char::is_alphanumeric)?;
            let end = rest
                .get(start..)
                .and_then(|tail| tail.find(|c: char| !c.is_alphanumeric()))
                .map_or(rest.len(), |len| start + len);
            (start, end)
        };
        self.pos += end;
        rest.get(start..end)
    }
}

/// The part of an address before the last `@`, or the whole text when it has none.
pub(crate) fn local_part(address: &str) -> &str {
    match address.rfind('@') {
        Some(at) => address.get(..at).unwrap_or(address),
        None => address,
    }
}

/// `text` without leading and trailing whitespace; text that starts and ends with a visible
/// ASCII character (nearly every address) is returned as is without decoding characters.
pub(crate) fn trimmed(text: &str) -> &str {
    let bytes = text.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

/// Whether `text` looks like an email address: something, one `@`, a dotted domain, no spaces
/// and no control characters (a NUL or an escape inside an identity is never a real address).
/// Plain ASCII text (nearly every address) is checked in one pass over its bytes.
pub(crate) fn is_address(text: &str) -> bool {
    let bytes = text.as_bytes();
    // Spaces, control characters and non-ASCII text take the exact path below.
    match memchr::memrchr(b'@', bytes) {
        Some(at) if is_visible_ascii(bytes) => dotted_address(bytes, at),
        _ => is_address_exact(text),
    }
}

/// Whether every byte is visible ASCII (`!` to `~`): eight bytes at a time, the way a word-wide
/// "has a byte less than n" test works, with one last overlapping word for the tail.
fn is_visible_ascii(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    // A byte below `!` borrows through the subtraction into its own high bit; a byte at or
    // above DEL has its high bit set by adding one (or already had it).
    let invisible = |word: u64| {
        (word.wrapping_sub(ONES * 0x21) & !word & HIGH) | ((word.wrapping_add(ONES) | word) & HIGH)
            != 0
    };
    let word_at = |i: usize| {
        bytes
            .get(i..i + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map(u64::from_ne_bytes)
    };
    if bytes.len() < 8 {
        return bytes.iter().all(|&b| b > b' ' && b < 0x7f);
    }
    let mut i = 0;
    while i + 8 <= bytes.len() {
        if word_at(i).is_none_or(invisible) {
            return false;
        }
        i += 8;
    }
    i == bytes.len() || word_at(bytes.len() - 8).is_some_and(|w| !invisible(w))
}

/// [`is_address`] for any text: trimmed, then no whitespace or control character anywhere.
fn is_address_exact(text: &str) -> bool {
    let text = trimmed(text);
    let bytes = text.as_bytes();
    let Some(at) = bytes.iter().rposition(|&b| b == b'@') else {
        return false;
    };
    let spaced = if text.is_ascii() {
        bytes
            .iter()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    } else {
        text.chars().any(|c| c.is_whitespace() || c.is_control())
    };
    !spaced && dotted_address(bytes, at)
}

/// A non-empty local part before the `@` at `at`, and a dotted domain after it.
fn dotted_address(bytes: &[u8], at: usize) -> bool {
    let (local, domain) = (&bytes[..at], &bytes[at + 1..]);
    !local.is_empty()
        && domain.len() >= 3
        && domain.contains(&b'.')
        && domain.first() != Some(&b'.')
        && domain.last() != Some(&b'.')
}

/// Whether `upn` holds the `#EXT#` marker (any case) Entra gives invited users.
pub(crate) fn has_ext_marker(upn: &str) -> bool {
    let bytes = upn.as_bytes();
    memchr::memchr_iter(b'#', bytes).any(|i| {
        bytes
            .get(i..i + 5)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"#EXT#"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_on_punctuation() {
        let cases: &[(&str, &[&str])] = &[
            ("svc-Backup_01.x", &["svc", "Backup", "01", "x"]),
            ("--", &[]),
            ("", &[]),
            ("  Jane  Doe ", &["Jane", "Doe"]),
            ("Zoë Ångström-Noreply", &["Zoë", "Ångström", "Noreply"]),
            ("é", &["é"]),
            ("a\u{a0}b—c", &["a", "b", "c"]),
        ];
        for (text, expected) in cases {
            let got: Vec<&str> = words(text).collect();
            let reference: Vec<&str> = text
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect();
            assert_eq!(&got, expected, "{text:?}");
            assert_eq!(got, reference, "{text:?}");
        }
    }

    #[test]
    fn ext_marker_is_found_in_any_case_anywhere() {
        let cases = [
            ("kim_x.com#EXT#@contoso.onmicrosoft.com", true),
            ("kim_x.com#ext#@contoso.onmicrosoft.com", true),
            ("##EXT#", true),
            ("a#b#EXT#", true),
            ("kim#EXT", false),
            ("kim#EX#T#@contoso.com", false),
            ("kim@contoso.com", false),
            ("", false),
        ];
        for (upn, expected) in cases {
            assert_eq!(has_ext_marker(upn), expected, "{upn:?}");
        }
    }

    /// The word-at-a-time test agrees with the byte-by-byte one on every length around the word
    /// size and on every byte value at every position.
    #[test]
    fn visible_ascii_is_decided_a_word_at_a_time_exactly() {
        for len in 0..=19 {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut text = vec![b'a'; len];
                    text[at] = b;
                    let expected = text.iter().all(|&c| c > b' ' && c < 0x7f);
                    assert_eq!(is_visible_ascii(&text), expected, "{len} {at} {b:#x}");
                }
            }
        }
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
        assert!(is_address("\u{a0}jane@contoso.com\t"));
        assert_eq!(trimmed("\u{2003}a@b.co\u{a0}"), "a@b.co");
        assert_eq!(trimmed("a@b.co"), "a@b.co");
        assert!(!is_address("jane"));
        assert!(!is_address("jane@localhost"));
        assert!(!is_address("@contoso.com"));
        assert!(!is_address("ja ne@contoso.com"));
        assert!(!is_address(""));
        // A control character anywhere (NUL, escape, DEL) is never part of a real address.
        for hostile in [
            "a@b.co\u{1}",
            "a\u{0}b@contoso.com",
            "jane@contoso.com\u{7f}",
            "zoë\u{1b}@contoso.com",
        ] {
            assert!(!is_address(hostile), "{hostile:?}");
        }
        assert!(is_address("zoë@contoso.com"));
        assert!(!is_address("jane@.com"));
        assert!(!is_address("jane@com."));
    }
}
