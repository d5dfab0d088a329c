//! OAuth state verification: arbitrary text is refused with a typed error, a signed state
//! verifies, and a state changed anywhere is refused.
#![no_main]

use entra_providers::auth::{StateExpectation, StateSigner};
use entra_providers::secrets::Secret;
use libfuzzer_sys::fuzz_target;

const NOW: u64 = 1_800_000_000;

fuzz_target!(|data: &[u8]| {
    let signer = StateSigner::new(Secret::new("fuzz-state-key-0123456789abcdef0123456789"))
        .expect("a long key is accepted");
    let text = String::from_utf8_lossy(data);
    let (tenant, user) = text.split_once('\n').unwrap_or((&text, "user"));
    let expected = StateExpectation {
        tenant: tenant.to_string(),
        user: user.to_string(),
        redirect_uri: "https://psa.example/callback".to_string(),
    };
    let _ = signer.verify_at(&text, &expected, NOW);

    let claims = StateSigner::claims(tenant, user, "https://psa.example/callback");
    let state = signer.sign(&claims);
    let now = claims.issued_at;
    signer
        .verify_at(&state, &expected, now)
        .expect("a freshly signed state verifies");
    if let Some(&byte) = data.first() {
        let mut bytes = state.clone().into_bytes();
        let at = usize::from(byte) % bytes.len();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        if let Ok(changed) = String::from_utf8(bytes)
            && changed != state
        {
            assert!(
                signer.verify_at(&changed, &expected, now).is_err(),
                "a changed state verified"
            );
        }
    }
});
