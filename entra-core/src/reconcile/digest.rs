//! Content hashes that tie a plan to the data it was made from: the digest of the whole plan
//! input (`SyncPlan.inputDigest`) and the version of each contact an action touches
//! (`Action.contactVersion`).
//!
//! Both are SHA-256 over an unambiguous binary encoding of the typed record, written field by
//! field (no serialization, no allocation per record): every field carries a one-byte tag, every
//! string and list a length prefix, every record an end marker, and an absent optional field is
//! simply not written (so `None` and `Some("")` differ). Key order, unknown fields and the
//! language a host builds the record in therefore do not change them; any field's content does.
//! The values are opaque version markers: only equality between two of them means anything.
//!
//! Each record is destructured field by field, so a field added to a record does not compile
//! until it is hashed here.

use sha2::{Digest, Sha256};

use crate::model::{
    Contact, ContactLink, EntraUser, FieldSync, FilterOptions, InactiveSource, MassInactivation,
    PhoneNumber, PhoneType, Resolution, ResolutionDecision, SyncSettings,
};

use crate::filter::{GroupListingStatus, GroupMembership};

use super::action::hex;
use super::input::PlanInput;

/// Closes a record: no field uses tag 0.
const END: u8 = 0;
/// The encoded bytes are handed to the hasher in chunks of about this size: one `update` per
/// chunk instead of one per field.
const CHUNK: usize = 1 << 16;
/// Strings longer than this go to the hasher directly instead of through the buffer.
const LONG: usize = 256;
/// Room for the tag and length prefix of a field (a LEB128 `usize` takes at most 10 bytes).
const HEADER: usize = 16;

/// Writes the encoding into a fixed buffer and hashes it a chunk at a time. Short strings are
/// copied eight bytes at a time: a call to `memcpy` per field would cost more than the hashing.
struct FieldHasher {
    sha: Sha256,
    buf: Box<[u8]>,
    pos: usize,
}

impl FieldHasher {
    fn new(domain: &[u8], chunk: usize) -> Self {
        let mut h = Self {
            sha: Sha256::new(),
            buf: vec![0; chunk + LONG + 2 * HEADER].into_boxed_slice(),
            pos: 0,
        };
        h.bytes(domain);
        h
    }

    /// Hands the buffered bytes to the hasher.
    fn flush(&mut self) {
        self.sha
            .update(self.buf.get(..self.pos).unwrap_or_default());
        self.pos = 0;
    }

    /// Makes room for `n` more bytes (`n` at most `LONG + 2 * HEADER`).
    fn room(&mut self, n: usize) {
        if self.pos + n > self.buf.len() {
            self.flush();
        }
    }

    /// One byte; the caller made room.
    fn put(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.pos) {
            *slot = b;
            self.pos += 1;
        }
    }

    /// A length (or count) in LEB128: short, and unambiguous where it ends.
    fn len(&mut self, mut n: usize) {
        self.room(HEADER);
        while n >= 0x80 {
            self.put((n as u8) | 0x80);
            n >>= 7;
        }
        self.put(n as u8);
    }

    /// Length-prefixed bytes.
    fn bytes(&mut self, b: &[u8]) {
        self.len(b.len());
        if b.len() > LONG {
            self.flush();
            self.sha.update(b);
            return;
        }
        self.room(b.len());
        let Some(dst) = self.buf.get_mut(self.pos..self.pos + b.len()) else {
            return;
        };
        let mut words = dst.chunks_exact_mut(8);
        let mut src = b.chunks_exact(8);
        for (d, s) in (&mut words).zip(&mut src) {
            d.copy_from_slice(s);
        }
        for (d, s) in words.into_remainder().iter_mut().zip(src.remainder()) {
            *d = *s;
        }
        self.pos += b.len();
    }

    fn tag(&mut self, tag: u8) {
        self.room(HEADER);
        self.put(tag);
    }

    fn str(&mut self, tag: u8, s: &str) {
        self.tag(tag);
        self.bytes(s.as_bytes());
    }

    fn opt_str(&mut self, tag: u8, s: Option<&String>) {
        if let Some(s) = s {
            self.str(tag, s);
        }
    }

    fn strs(&mut self, tag: u8, list: &[String]) {
        self.list(tag, list.len());
        for s in list {
            self.bytes(s.as_bytes());
        }
    }

    fn flag(&mut self, tag: u8, b: bool) {
        self.byte(tag, u8::from(b));
    }

    fn byte(&mut self, tag: u8, b: u8) {
        self.tag(tag);
        self.put(b);
    }

    /// Opens a list of `n` items.
    fn list(&mut self, tag: u8, n: usize) {
        self.tag(tag);
        self.len(n);
    }

    /// Closes a record.
    fn end(&mut self) {
        self.tag(END);
    }

    fn finish(mut self) -> [u8; 32] {
        self.flush();
        self.sha.finalize().into()
    }

    fn user(&mut self, user: &EntraUser) {
        let EntraUser {
            entra_tenant_id,
            entra_object_id,
            user_principal_name,
            email,
            other_mails,
            proxy_addresses,
            display_name,
            given_name,
            surname,
            account_enabled,
            user_type,
            job_title,
            mobile_phone,
            business_phones,
            assigned_license_sku_ids,
        } = user;
        self.str(1, entra_tenant_id);
        self.str(2, entra_object_id);
        self.opt_str(3, user_principal_name.as_ref());
        self.opt_str(4, email.as_ref());
        self.strs(5, other_mails);
        self.strs(6, proxy_addresses);
        self.opt_str(7, display_name.as_ref());
        self.opt_str(8, given_name.as_ref());
        self.opt_str(9, surname.as_ref());
        self.flag(10, *account_enabled);
        self.opt_str(11, user_type.as_ref());
        self.opt_str(12, job_title.as_ref());
        self.opt_str(13, mobile_phone.as_ref());
        self.strs(14, business_phones);
        self.strs(15, assigned_license_sku_ids);
        self.end();
    }

    fn contact(&mut self, contact: &Contact) {
        let Contact {
            contact_id,
            client_id,
            email,
            additional_emails,
            full_name,
            role,
            phone_numbers,
            user_principal_name,
            is_inactive,
            inactive_source,
            locked,
            // Sync metadata never drives a decision: it is neither content nor input.
            last_synced_by: _,
            last_synced_at: _,
            upstream_enabled: _,
            sync_status: _,
        } = contact;
        self.str(1, contact_id);
        self.opt_str(2, client_id.as_ref());
        self.opt_str(3, email.as_ref());
        self.strs(4, additional_emails);
        self.opt_str(5, full_name.as_ref());
        self.opt_str(6, role.as_ref());
        self.list(7, phone_numbers.len());
        for PhoneNumber { number, kind } in phone_numbers {
            self.bytes(number.as_bytes());
            self.tag(match kind {
                PhoneType::Work => 0,
                PhoneType::Mobile => 1,
                PhoneType::Other => 2,
            });
        }
        self.opt_str(8, user_principal_name.as_ref());
        self.flag(9, *is_inactive);
        if let Some(source) = inactive_source {
            self.byte(
                10,
                match source {
                    InactiveSource::EntraSync => 0,
                    InactiveSource::Other => 1,
                },
            );
        }
        self.flag(11, *locked);
        self.end();
    }

    fn link(&mut self, link: &ContactLink) {
        let ContactLink {
            entra_tenant_id,
            entra_object_id,
            contact_id,
            client_id,
            active,
            // Sync metadata never drives a decision.
            last_seen_at: _,
            last_synced_at: _,
            status: _,
        } = link;
        self.str(1, entra_tenant_id);
        self.str(2, entra_object_id);
        self.str(3, contact_id);
        self.opt_str(4, client_id.as_ref());
        self.flag(5, *active);
        self.end();
    }

    fn resolution(&mut self, resolution: &Resolution) {
        let Resolution {
            entra_object_id,
            decision,
            contact_id,
        } = resolution;
        self.str(1, entra_object_id);
        self.byte(
            2,
            match decision {
                ResolutionDecision::LinkExisting => 0,
                ResolutionDecision::CreateNew => 1,
                ResolutionDecision::Dismissed => 2,
            },
        );
        self.opt_str(3, contact_id.as_ref());
        self.end();
    }

    fn group_membership(&mut self, membership: &GroupMembership) {
        let GroupMembership {
            group_id,
            member_ids,
            status,
        } = membership;
        self.str(1, group_id);
        self.strs(2, member_ids);
        self.byte(
            3,
            match status {
                GroupListingStatus::Complete => 0,
                GroupListingStatus::Incomplete => 1,
                GroupListingStatus::NotFound => 2,
            },
        );
        self.end();
    }

    fn settings(&mut self, settings: &SyncSettings) {
        let SyncSettings {
            field_sync,
            mark_inactive_when_disabled,
            reactivate_when_enabled,
            filter,
            mass_inactivation,
            allow_mass_inactivation,
            inactivate_when_leaving_group_scope,
            // Scheduling only: neither changes what a plan decides.
            sync_enabled: _,
            sync_interval_minutes: _,
        } = settings;
        let FieldSync {
            display_name,
            email,
            phone,
            job_title,
            upn,
        } = field_sync;
        let FilterOptions {
            custom_exclusion_patterns,
            include_guests,
            licensed_only,
            include_group_ids,
            exclude_group_ids,
        } = filter;
        let MassInactivation {
            max_share,
            min_count,
        } = mass_inactivation;
        self.flag(1, *display_name);
        self.flag(2, *email);
        self.flag(3, *phone);
        self.flag(4, *job_title);
        self.flag(5, *upn);
        self.flag(6, *mark_inactive_when_disabled);
        self.flag(7, *reactivate_when_enabled);
        self.strs(8, custom_exclusion_patterns);
        self.flag(9, *include_guests);
        self.flag(10, *licensed_only);
        self.tag(11);
        self.bytes(&max_share.to_bits().to_le_bytes());
        self.tag(12);
        self.bytes(&min_count.to_le_bytes());
        self.flag(13, *allow_mass_inactivation);
        // Written only when set, so inputs without group settings keep their digests.
        if !include_group_ids.is_empty() {
            self.strs(14, include_group_ids);
        }
        if !exclude_group_ids.is_empty() {
            self.strs(15, exclude_group_ids);
        }
        if *inactivate_when_leaving_group_scope {
            self.flag(16, true);
        }
        self.end();
    }
}

/// The digest of a plan input: 64 lowercase hex digits of SHA-256 over its field-by-field
/// encoding. `apply_plan` refuses a plan whose `inputDigest` is not the digest of the input it
/// is given.
pub fn input_digest(input: &PlanInput) -> String {
    let PlanInput {
        entra_tenant_id,
        client_id,
        users,
        listing_complete,
        removed_object_ids,
        contacts,
        links,
        resolutions,
        settings,
        now,
        synced_by,
        group_memberships,
    } = input;
    let mut h = FieldHasher::new(b"entra-sync plan input v2", CHUNK);
    h.str(1, entra_tenant_id);
    h.str(2, client_id);
    h.flag(3, *listing_complete);
    h.strs(4, removed_object_ids);
    h.list(5, users.len());
    for user in users {
        h.user(user);
    }
    h.list(6, contacts.len());
    for contact in contacts {
        h.contact(contact);
    }
    h.list(7, links.len());
    for link in links {
        h.link(link);
    }
    h.list(8, resolutions.len());
    for resolution in resolutions {
        h.resolution(resolution);
    }
    h.tag(9);
    h.settings(settings);
    // Only when present, so the digest of an input without them is unchanged.
    if let Some(now) = now {
        h.str(10, now);
    }
    if let Some(by) = synced_by {
        h.str(11, by);
    }
    // Written only when given, so inputs without group listings keep their digests.
    if !group_memberships.is_empty() {
        h.list(12, group_memberships.len());
        for m in group_memberships {
            h.group_membership(m);
        }
    }
    hex(&h.finish())
}

/// The version of a contact's content: 32 lowercase hex digits (the first 128 bits of SHA-256
/// over its field-by-field encoding). A store compares the version a plan saw with the stored
/// contact's and leaves a contact changed since planning for the next run.
pub fn contact_version(contact: &Contact) -> String {
    let mut h = FieldHasher::new(b"entra-sync contact v2", 0);
    h.contact(contact);
    hex(&h.finish()[..16])
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

    fn full_contact() -> Contact {
        let mut c = Contact::new("k1", "c1");
        c.email = Some("a@x.com".into());
        c.additional_emails = vec!["b@x.com".into(), "c@x.com".into()];
        c.full_name = Some("Ann".into());
        c.role = Some("CFO".into());
        c.phone_numbers = vec![PhoneNumber {
            number: "1".into(),
            kind: PhoneType::Work,
        }];
        c.user_principal_name = Some("a@x.com".into());
        c.is_inactive = true;
        c.inactive_source = Some(InactiveSource::Other);
        c.locked = true;
        c
    }

    /// One change of one field per row, including moving text between neighbouring fields and
    /// list items, `None` against `Some("")` and the enum values.
    #[test]
    fn contacts_differing_in_any_single_field_get_different_versions() {
        type Edit = fn(&mut Contact);
        let edits: &[(&str, Edit)] = &[
            ("contactId", |c| c.contact_id.push('x')),
            ("clientId none", |c| c.client_id = None),
            ("clientId empty", |c| c.client_id = Some(String::new())),
            ("email", |c| c.email = Some("a@x.co".into())),
            ("email none", |c| c.email = None),
            ("additionalEmails split", |c| {
                c.additional_emails = vec!["b@x.comc@x.com".into()];
            }),
            ("additionalEmails order", |c| c.additional_emails.reverse()),
            ("additionalEmails empty", |c| c.additional_emails.clear()),
            ("fullName", |c| c.full_name = Some("Anne".into())),
            ("fullName to role", |c| {
                c.full_name = None;
                c.role = Some("Ann".into());
            }),
            ("role", |c| c.role = None),
            ("phone number", |c| c.phone_numbers[0].number = "2".into()),
            ("phone kind mobile", |c| {
                c.phone_numbers[0].kind = PhoneType::Mobile
            }),
            ("phone kind other", |c| {
                c.phone_numbers[0].kind = PhoneType::Other
            }),
            ("phone numbers empty", |c| c.phone_numbers.clear()),
            ("userPrincipalName", |c| c.user_principal_name = None),
            ("isInactive", |c| c.is_inactive = false),
            ("inactiveSource", |c| {
                c.inactive_source = Some(InactiveSource::EntraSync);
            }),
            ("inactiveSource none", |c| c.inactive_source = None),
            ("locked", |c| c.locked = false),
        ];
        let base = full_contact();
        let mut seen = std::collections::HashMap::new();
        seen.insert(contact_version(&base), "base");
        for (name, edit) in edits {
            let mut changed = base.clone();
            edit(&mut changed);
            assert_ne!(changed, base, "{name} changes nothing");
            if let Some(other) = seen.insert(contact_version(&changed), name) {
                panic!("{name} has the version of {other}");
            }
        }
    }

    fn full_input() -> PlanInput {
        let mut user = EntraUser::new("t1", "u1");
        user.user_principal_name = Some("a@x.com".into());
        user.email = Some("a@x.com".into());
        user.other_mails = vec!["o@x.com".into()];
        user.proxy_addresses = vec!["SMTP:a@x.com".into()];
        user.display_name = Some("Ann".into());
        user.given_name = Some("A".into());
        user.surname = Some("N".into());
        user.user_type = Some("Member".into());
        user.job_title = Some("CFO".into());
        user.mobile_phone = Some("2".into());
        user.business_phones = vec!["1".into()];
        user.assigned_license_sku_ids = vec!["sku".into()];
        PlanInput {
            entra_tenant_id: "t1".into(),
            client_id: "c1".into(),
            users: vec![user],
            listing_complete: true,
            removed_object_ids: vec!["gone".into()],
            contacts: vec![full_contact()],
            links: vec![ContactLink {
                entra_tenant_id: "t1".into(),
                entra_object_id: "u1".into(),
                contact_id: "k1".into(),
                client_id: Some("c1".into()),
                active: true,
                last_seen_at: None,
                last_synced_at: None,
                status: None,
            }],
            resolutions: vec![Resolution {
                entra_object_id: "u2".into(),
                decision: ResolutionDecision::LinkExisting,
                contact_id: Some("k1".into()),
            }],
            settings: SyncSettings {
                filter: FilterOptions {
                    custom_exclusion_patterns: vec!["^ext-".into()],
                    ..FilterOptions::default()
                },
                ..SyncSettings::default()
            },
            now: None,
            synced_by: None,
            group_memberships: Vec::new(),
        }
    }

    /// One change of one field per row, over every field of the input and of its records.
    #[test]
    fn inputs_differing_in_any_single_field_get_different_digests() {
        type Edit = fn(&mut PlanInput);
        let edits: &[(&str, Edit)] = &[
            ("entraTenantId", |i| i.entra_tenant_id.push('x')),
            ("now", |i| i.now = Some("2026-12-03T15:00:00Z".into())),
            ("syncedBy", |i| i.synced_by = Some("entra-sync:cipp".into())),
            ("clientId", |i| i.client_id.push('x')),
            ("tenant and client boundary", |i| {
                i.entra_tenant_id = "t1c".into();
                i.client_id = "1".into();
            }),
            ("listingComplete", |i| i.listing_complete = false),
            ("removedObjectIds", |i| i.removed_object_ids.clear()),
            ("removedObjectIds item", |i| {
                i.removed_object_ids[0].push('x')
            }),
            ("users empty", |i| i.users.clear()),
            ("users repeated", |i| i.users.push(i.users[0].clone())),
            ("user entraTenantId", |i| i.users[0].entra_tenant_id.clear()),
            ("user entraObjectId", |i| {
                i.users[0].entra_object_id.push('x')
            }),
            ("user userPrincipalName", |i| {
                i.users[0].user_principal_name = None
            }),
            ("user email", |i| i.users[0].email = Some(String::new())),
            ("user otherMails", |i| i.users[0].other_mails.clear()),
            ("user proxyAddresses", |i| {
                i.users[0].proxy_addresses.push(String::new());
            }),
            ("user displayName", |i| i.users[0].display_name = None),
            ("user displayName long", |i| {
                i.users[0].display_name = Some("A".repeat(1_000));
            }),
            ("user displayName longer", |i| {
                i.users[0].display_name = Some("A".repeat(1_001));
            }),
            ("user givenName", |i| i.users[0].given_name = None),
            ("user surname", |i| i.users[0].surname = None),
            ("user givenName and surname swapped", |i| {
                i.users[0].given_name = Some("N".into());
                i.users[0].surname = Some("A".into());
            }),
            ("user accountEnabled", |i| {
                i.users[0].account_enabled = false
            }),
            ("user userType", |i| {
                i.users[0].user_type = Some("Guest".into())
            }),
            ("user jobTitle", |i| i.users[0].job_title = None),
            ("user mobilePhone", |i| i.users[0].mobile_phone = None),
            ("user businessPhones", |i| {
                i.users[0].business_phones.clear()
            }),
            ("user assignedLicenseSkuIds", |i| {
                i.users[0].assigned_license_sku_ids.clear();
            }),
            ("contacts empty", |i| i.contacts.clear()),
            ("contact role", |i| i.contacts[0].role = None),
            ("contact locked", |i| i.contacts[0].locked = false),
            ("links empty", |i| i.links.clear()),
            ("link entraTenantId", |i| {
                i.links[0].entra_tenant_id.push('x')
            }),
            ("link entraObjectId", |i| {
                i.links[0].entra_object_id.push('x')
            }),
            ("link contactId", |i| i.links[0].contact_id.push('x')),
            ("link clientId", |i| i.links[0].client_id = None),
            ("link active", |i| i.links[0].active = false),
            ("resolutions empty", |i| i.resolutions.clear()),
            ("resolution entraObjectId", |i| {
                i.resolutions[0].entra_object_id.push('x');
            }),
            ("resolution decision create", |i| {
                i.resolutions[0].decision = ResolutionDecision::CreateNew;
            }),
            ("resolution decision dismissed", |i| {
                i.resolutions[0].decision = ResolutionDecision::Dismissed;
            }),
            ("resolution contactId", |i| {
                i.resolutions[0].contact_id = None
            }),
            ("fieldSync displayName", |i| {
                i.settings.field_sync.display_name = true;
            }),
            ("fieldSync email", |i| i.settings.field_sync.email = true),
            ("fieldSync phone", |i| i.settings.field_sync.phone = true),
            ("fieldSync jobTitle", |i| {
                i.settings.field_sync.job_title = true
            }),
            ("fieldSync upn", |i| i.settings.field_sync.upn = true),
            ("markInactiveWhenDisabled", |i| {
                i.settings.mark_inactive_when_disabled = false;
            }),
            ("reactivateWhenEnabled", |i| {
                i.settings.reactivate_when_enabled = false;
            }),
            ("customExclusionPatterns", |i| {
                i.settings.filter.custom_exclusion_patterns.clear();
            }),
            ("includeGuests", |i| i.settings.filter.include_guests = true),
            ("licensedOnly", |i| i.settings.filter.licensed_only = true),
            ("maxShare", |i| i.settings.mass_inactivation.max_share = 0.5),
            ("minCount", |i| i.settings.mass_inactivation.min_count = 11),
            ("allowMassInactivation", |i| {
                i.settings.allow_mass_inactivation = true;
            }),
            ("includeGroupIds", |i| {
                i.settings.filter.include_group_ids = vec!["g1".into()];
            }),
            ("excludeGroupIds", |i| {
                i.settings.filter.exclude_group_ids = vec!["g1".into()];
            }),
            ("inactivateWhenLeavingGroupScope", |i| {
                i.settings.inactivate_when_leaving_group_scope = true;
            }),
            ("groupMemberships complete", |i| {
                i.group_memberships = vec![GroupMembership {
                    group_id: "g1".into(),
                    member_ids: vec!["u1".into()],
                    status: GroupListingStatus::Complete,
                }];
            }),
            ("groupMemberships incomplete", |i| {
                i.group_memberships = vec![GroupMembership {
                    group_id: "g1".into(),
                    member_ids: vec!["u1".into()],
                    status: GroupListingStatus::Incomplete,
                }];
            }),
            ("groupMemberships not found", |i| {
                i.group_memberships = vec![GroupMembership {
                    group_id: "g1".into(),
                    member_ids: vec!["u1".into()],
                    status: GroupListingStatus::NotFound,
                }];
            }),
        ];
        let base = full_input();
        let mut seen = std::collections::HashMap::new();
        seen.insert(input_digest(&base), "base");
        for (name, edit) in edits {
            let mut changed = base.clone();
            edit(&mut changed);
            assert_ne!(changed, base, "{name} changes nothing");
            if let Some(other) = seen.insert(input_digest(&changed), name) {
                panic!("{name} has the digest of {other}");
            }
        }
    }

    #[test]
    fn input_digest_ignores_unknown_fields_and_key_order() {
        let a: PlanInput = serde_json::from_value(serde_json::json!({
            "entraTenantId": "t1", "clientId": "c1", "listingComplete": true,
            "users": [{"entraObjectId": "u1", "accountEnabled": true, "mail": "a@x.com"}]
        }))
        .expect("input");
        let b: PlanInput = serde_json::from_value(serde_json::json!({
            "users": [{"email": "a@x.com", "accountEnabled": true, "entraObjectId": "u1", "x": 1}],
            "listingComplete": true, "clientId": "c1", "entraTenantId": "t1", "extra": [1]
        }))
        .expect("input");
        assert_eq!(input_digest(&a), input_digest(&b));
        assert_eq!(input_digest(&a).len(), 64);
    }

    /// Records large enough that the encoding is handed to the hasher in several chunks hash
    /// the same however the chunks fall: the digest follows the records, not the buffering.
    #[test]
    fn a_digest_spanning_many_chunks_follows_its_last_record() {
        let mut input = full_input();
        input.users = (0..5_000)
            .map(|i| EntraUser::new("t1", format!("user-{i}")))
            .collect();
        let before = input_digest(&input);
        assert_eq!(before, input_digest(&input.clone()));
        if let Some(last) = input.users.last_mut() {
            last.entra_object_id.push('x');
        }
        assert_ne!(before, input_digest(&input));
    }
}
