//! Query strings as the services read them: Graph's `$`-options and CIPP's case-insensitive names.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The decoded `name=value` pairs of a query string, in order.
#[derive(Debug, Clone, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(raw: Option<&str>) -> Self {
        Self(
            url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of a parameter, matching its name case-insensitively (as both Graph and
    /// CIPP do).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every pair, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// A parameter read as a boolean flag (`true`, case-insensitive).
    pub fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }
}

/// Percent-encodes one query value.
pub fn enc(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// An opaque paging or delta token: base64url of a small JSON state.
pub fn encode_token<T: Serialize>(value: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default())
}

/// Reads a token made by [`encode_token`]; `None` for anything else.
pub fn decode_token<T: DeserializeOwned>(token: &str) -> Option<T> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Parses `$top`: `Ok(None)` when absent, `Err(raw)` when not a number in `1..=max`.
pub fn top(params: &Params, max: usize) -> Result<Option<usize>, String> {
    match params.get("$top") {
        None => Ok(None),
        Some(raw) => match raw.trim().parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(Some(n)),
            _ => Err(raw.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_parameters_case_insensitively() {
        let p = Params::parse(Some(
            "tenantFilter=a.com&%24select=id%2Cmail&manualPagination=TRUE",
        ));
        assert_eq!(p.get("TENANTFILTER"), Some("a.com"));
        assert_eq!(p.get("$select"), Some("id,mail"));
        assert!(p.flag("manualpagination"));
        assert!(!p.flag("NoPagination"));
    }

    #[test]
    fn top_is_bounded() {
        let p = |q: &str| Params::parse(Some(q));
        assert_eq!(top(&p("$top=999"), 999), Ok(Some(999)));
        assert_eq!(top(&p(""), 999), Ok(None));
        assert_eq!(top(&p("$top=1000"), 999), Err("1000".into()));
        assert_eq!(top(&p("$top=0"), 999), Err("0".into()));
        assert_eq!(top(&p("$top=x"), 999), Err("x".into()));
    }

    #[test]
    fn tokens_round_trip_and_refuse_garbage() {
        let t = encode_token(&(1u32, "a"));
        assert_eq!(decode_token::<(u32, String)>(&t), Some((1, "a".into())));
        assert_eq!(decode_token::<(u32, String)>("!!"), None);
    }
}
