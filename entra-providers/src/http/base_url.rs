use std::net::IpAddr;

use entra_core::provider::{ProviderError, ProviderErrorCode};
use url::Url;

/// Refuses a configured base URL (login authority, Graph, CIPP) that would send credentials in
/// clear text: it must be `https`, except on a loopback host (`localhost`, `127.0.0.0/8`,
/// `::1`), where local fakes and the sandbox listen. `what` names the setting in the message.
pub fn check_base_url(url: &Url, what: &str) -> Result<(), ProviderError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(ProviderError::new(
            ProviderErrorCode::Configuration,
            format!(
                "the {what} must use https (plain http is only accepted for a loopback host such as 127.0.0.1)"
            ),
        )),
        _ => Err(ProviderError::new(
            ProviderErrorCode::Configuration,
            format!("the {what} must be an https URL"),
        )),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_refused_unless_the_host_is_loopback() {
        let cases = [
            ("https://graph.microsoft.com", true),
            ("https://cipp-x.azurewebsites.net", true),
            ("http://127.0.0.1:8080", true),
            ("http://127.9.9.9", true),
            ("http://localhost:3000", true),
            ("http://[::1]:9", true),
            ("http://graph.microsoft.com", false),
            ("http://10.0.0.5", false),
            ("http://localhost.evil.example", false),
            ("ftp://127.0.0.1", false),
        ];
        for (text, ok) in cases {
            let result = check_base_url(&Url::parse(text).unwrap(), "Graph base URL");
            assert_eq!(result.is_ok(), ok, "{text}");
            if let Err(err) = result {
                assert_eq!(err.code(), "configuration");
                assert!(err.message.contains("Graph base URL"), "{}", err.message);
            }
        }
    }
}
