use entra_core::provider::{ProviderError, ProviderErrorCode};
use serde::de::DeserializeOwned;

use super::classify::transport_error;
use super::policy::HttpPolicy;

/// Reads a whole answer as text under the default body cap ([`HttpPolicy::max_body_bytes`]);
/// a failed read is `upstream_unavailable`, a larger body `response_too_large`. Prefer
/// [`HttpClient::read_text`](super::HttpClient::read_text), which applies the client's policy.
pub async fn read_text(response: reqwest::Response) -> Result<String, ProviderError> {
    read_text_capped(response, HttpPolicy::default().max_body_bytes).await
}

/// Reads a whole answer as text, streaming it and stopping with `response_too_large` once it
/// exceeds `max_bytes` (an announced `Content-Length` over the cap is refused before reading).
/// Invalid UTF-8 is replaced rather than refused: the JSON parser names what does not fit.
pub async fn read_text_capped(
    mut response: reqwest::Response,
    max_bytes: u64,
) -> Result<String, ProviderError> {
    let host = response
        .url()
        .host_str()
        .map(|h| format!(" from {h}"))
        .unwrap_or_default();
    let too_large = || {
        ProviderError::new(
            ProviderErrorCode::ResponseTooLarge,
            format!("the answer{host} is larger than the {max_bytes}-byte cap; it was not read"),
        )
    };
    if response.content_length().is_some_and(|len| len > max_bytes) {
        return Err(too_large());
    }
    let mut bytes: Vec<u8> = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport_error(&e))? {
        if bytes.len() as u64 + chunk.len() as u64 > max_bytes {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
    })
}

/// Reads a whole answer as `T` under the default body cap; a shape that does not fit is
/// `unexpected_response` naming the field's path (e.g. `value[3].accountEnabled`).
pub async fn read_json<T: DeserializeOwned>(
    response: reqwest::Response,
) -> Result<T, ProviderError> {
    let text = read_text(response).await?;
    parse_json(&text)
}

/// Parses JSON text as `T`, naming the offending field on failure (never echoing the body).
pub fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, ProviderError> {
    let mut de = serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(value) => Ok(value),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            let message = if inner.is_syntax() || inner.is_eof() {
                format!(
                    "the answer is not valid JSON (line {}, column {})",
                    inner.line(),
                    inner.column()
                )
            } else {
                let detail = inner.to_string();
                let detail = detail.split(" at line ").next().unwrap_or_default();
                let detail = match detail.strip_prefix("missing field `") {
                    Some(rest) => {
                        let field = rest.split('`').next().unwrap_or_default();
                        let full = if path == "." || path.is_empty() {
                            field.to_string()
                        } else {
                            format!("{path}.{field}")
                        };
                        return Err(unexpected(format!(
                            "the answer lacks the required field `{full}`"
                        )));
                    }
                    None => detail.to_string(),
                };
                format!("field `{path}`: {detail}")
            };
            Err(unexpected(message))
        }
    }
}

fn unexpected(message: String) -> ProviderError {
    ProviderError::new(ProviderErrorCode::UnexpectedResponse, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Page {
        value: Vec<Row>,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    #[serde(rename_all = "camelCase")]
    struct Row {
        id: String,
        account_enabled: bool,
    }

    #[test]
    fn missing_and_mistyped_fields_are_named() {
        let err = parse_json::<Page>(r#"{"value":[{"id":"a","accountEnabled":true},{"id":"b"}]}"#)
            .unwrap_err();
        assert_eq!(err.code(), "unexpected_response");
        assert!(
            err.message.contains("value[1].accountEnabled"),
            "{}",
            err.message
        );
        let err =
            parse_json::<Page>(r#"{"value":[{"id":"a","accountEnabled":"yes"}]}"#).unwrap_err();
        assert!(
            err.message.contains("value[0].accountEnabled"),
            "{}",
            err.message
        );
        let err = parse_json::<Page>("{not json").unwrap_err();
        assert_eq!(err.code(), "unexpected_response");
        assert!(!err.message.contains("not json"));
    }
}
