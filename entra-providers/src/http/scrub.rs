use entra_core::provider::ProviderError;

/// Makes upstream text safe to keep in an error: hides anything shaped like a bearer token, a
/// JWT or a `key=value` secret parameter, and bounds the length.
pub fn scrub(text: &str) -> String {
    const MAX: usize = 600;
    let mut out = String::with_capacity(text.len().min(MAX));
    let mut hide_next = false;
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if hide_next {
            out.push_str("[redacted]");
            hide_next = false;
            continue;
        }
        if word.eq_ignore_ascii_case("bearer") {
            out.push_str(word);
            hide_next = true;
        } else {
            out.push_str(&scrub_word(word));
        }
    }
    if out.len() > MAX {
        let mut cut = MAX;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

/// Removes every occurrence of the given secret values (the token or client secret a request
/// carried) from an error's texts. Upstreams sometimes echo what they were sent, and an opaque
/// token has no shape [`scrub`] could recognise.
pub fn redact_known(mut error: ProviderError, secrets: &[&str]) -> ProviderError {
    // Each value as sent and as it reads once form- or percent-encoded.
    let forms: Vec<String> = secrets
        .iter()
        .map(|s| s.trim())
        .filter(|s| s.len() >= 4)
        .flat_map(|s| {
            let form: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
            let percent = form.replace('+', "%20");
            [s.to_string(), form, percent]
        })
        .collect();
    let hide = |text: &mut String| {
        for secret in &forms {
            if text.contains(secret.as_str()) {
                *text = text.replace(secret.as_str(), "[redacted]");
            }
        }
    };
    hide(&mut error.message);
    for field in [
        &mut error.upstream_code,
        &mut error.request_id,
        &mut error.date,
    ]
    .into_iter()
    .flatten()
    {
        hide(field);
    }
    error
}

const SECRET_KEYS: [&str; 7] = [
    "access_token",
    "refresh_token",
    "client_secret",
    "code",
    "code_verifier",
    "client_assertion",
    "id_token",
];

fn scrub_word(word: &str) -> String {
    if looks_like_jwt(word) {
        return "[redacted]".to_string();
    }
    let lower = word.to_ascii_lowercase();
    for key in SECRET_KEYS {
        for sep in ['=', ':'] {
            let needle = format!("{key}{sep}");
            if let Some(pos) = lower.find(&needle) {
                let boundary = pos == 0
                    || !lower[..pos]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
                let has_value = word.len() > pos + needle.len();
                if boundary && has_value {
                    return format!("{}[redacted]", &word[..pos + needle.len()]);
                }
            }
        }
    }
    word.to_string()
}

fn looks_like_jwt(word: &str) -> bool {
    let trimmed = word.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    trimmed.starts_with("eyJ") && trimmed.matches('.').count() >= 1 && trimmed.len() > 20
}

#[cfg(test)]
mod tests {
    use super::scrub;

    #[test]
    fn tokens_and_secret_parameters_are_hidden() {
        let jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJ0aWQiOiJ4In0.c2lnbmF0dXJl";
        let text = format!(
            "failed with Authorization: Bearer abc.def token {jwt} and client_secret=hunter2&x=1 refresh_token:zzz"
        );
        let out = scrub(&text);
        assert!(!out.contains("abc.def"), "{out}");
        assert!(!out.contains(jwt), "{out}");
        assert!(!out.contains("hunter2"), "{out}");
        assert!(!out.contains("zzz"), "{out}");
        assert!(out.contains("failed with"), "{out}");
    }

    #[test]
    fn known_values_are_removed_from_every_field() {
        use entra_core::provider::{ProviderError, ProviderErrorCode};
        let mut err = ProviderError::new(
            ProviderErrorCode::BadRequest,
            "token opaque-token-123 was refused; again: opaque-token-123",
        );
        err.request_id = Some("req opaque-token-123".into());
        let err = super::redact_known(err, &["opaque-token-123", "", "ab"]);
        let encoded = ProviderError::new(
            ProviderErrorCode::BadRequest,
            "sent client_secret=a%2Bb%2Fc%3D%3D%7Ex and a+b/c==~x",
        );
        let encoded = super::redact_known(encoded, &["a+b/c==~x"]);
        assert!(!encoded.message.contains("a%2Bb"), "{}", encoded.message);
        assert!(!encoded.message.contains("a+b/c"), "{}", encoded.message);
        assert!(!err.message.contains("opaque-token-123"), "{}", err.message);
        assert!(err.message.contains("[redacted] was refused"));
        assert_eq!(err.request_id.as_deref(), Some("req [redacted]"));
    }

    #[test]
    fn plain_text_is_kept_and_bounded() {
        assert_eq!(scrub("Insufficient privileges"), "Insufficient privileges");
        assert_eq!(scrub("the code is unknown"), "the code is unknown");
        assert_eq!(scrub("status code: 500"), "status code: 500");
        let long = "x".repeat(2000);
        assert!(scrub(&long).chars().count() <= 601);
    }
}
