//! Runs the sandbox until the process is stopped (Ctrl-C), so a host written in any language can develop against it.
//!
//! ```text
//! cargo run -p entra-providers --features sandbox --example sandbox_server -- [config.json]
//! ```
//!
//! Prints one JSON line on stdout with the three base URLs and the sandbox's own credentials
//! (generated for this run, worthless anywhere else), then the customer tenants. The optional
//! argument is a configuration file in the shape `SandboxConfig::from_json` reads.

use entra_providers::sandbox::{Sandbox, SandboxConfig};
use serde_json::json;
use std::io::Write;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = match std::env::args().nth(1) {
        Some(path) => {
            SandboxConfig::from_json(&serde_json::from_str(&std::fs::read_to_string(path)?)?)?
        }
        None => SandboxConfig::default(),
    };
    let sandbox = Sandbox::start(config).await?;
    let creds = sandbox.credentials();
    let info = json!({
        "loginBaseUrl": sandbox.login_base_url(),
        "graphBaseUrl": sandbox.graph_base_url(),
        "cippBaseUrl": sandbox.cipp_base_url(),
        "credentials": {
            "clientId": creds.client_id,
            "clientSecret": creds.client_secret,
            "partnerTenantId": creds.partner_tenant_id,
            "partnerRefreshToken": creds.partner_refresh_token,
            "cippTenantId": creds.cipp_tenant_id,
            "cippClientId": creds.cipp_client_id,
            "cippClientSecret": creds.cipp_client_secret,
        },
        "tenants": sandbox.tenants(),
    });
    // A closed stdout (e.g. piped into `head`) is not worth a panic.
    let _ = writeln!(std::io::stdout(), "{info}");
    // Serve until the process is stopped; the listeners die with it.
    std::future::pending::<()>().await;
    drop(sandbox);
    Ok(())
}
