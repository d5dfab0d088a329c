//! Content hashes that tie a plan to the data it was made from: the digest of the whole plan
//! input (`SyncPlan.inputDigest`) and the version of each contact an action touches
//! (`Action.contactVersion`). Both are SHA-256 over the canonical camelCase JSON of the typed
//! record, so key order, unknown fields and the language a host builds the record in do not
//! change them.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::model::Contact;

use super::action::hex;
use super::input::PlanInput;

/// Feeds serialized JSON straight into the hasher, without building the document in memory.
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn sha256_of<T: Serialize>(value: &T) -> [u8; 32] {
    let mut writer = HashWriter(Sha256::new());
    // Serializing these plain records into a writer that never fails cannot fail; an error would
    // only leave a shorter document, which still hashes deterministically.
    let _ = serde_json::to_writer(&mut writer, value);
    writer.0.finalize().into()
}

/// The digest of a plan input: 64 lowercase hex digits of SHA-256 over its canonical JSON.
/// `apply_plan` refuses a plan whose `inputDigest` is not the digest of the input it is given.
pub fn input_digest(input: &PlanInput) -> String {
    hex(&sha256_of(input))
}

/// The version of a contact's content: 32 lowercase hex digits (the first 128 bits of SHA-256
/// over its canonical JSON). A store compares the version a plan saw with the stored contact's
/// and leaves a contact changed since planning for the next run.
pub fn contact_version(contact: &Contact) -> String {
    hex(&sha256_of(contact)[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_version_follows_every_field_and_only_the_content() {
        let mut a = Contact::new("k1", "c1");
        let b: Contact = serde_json::from_value(serde_json::json!({
            "unknown": 1, "clientId": "c1", "contactId": "k1"
        }))
        .expect("contact");
        assert_eq!(contact_version(&a), contact_version(&b));
        assert_eq!(contact_version(&a).len(), 32);
        a.role = Some("CFO".into());
        assert_ne!(contact_version(&a), contact_version(&b));
    }
}
