//! Lookup tables over a [`PlanInput`], built once per plan. Identities and contacts are resolved
//! to indexes a single time, so every later decision is an array access rather than a string
//! lookup: this is what keeps a plan over a million users within seconds.

use std::collections::hash_map::Entry;

use crate::error::{CoreError, echo};
use crate::model::{Contact, Resolution};

use super::hashing::{FastMap, FastSet, map_with_capacity};
use super::input::PlanInput;

pub(crate) struct Snapshot<'a> {
    pub(crate) input: &'a PlanInput,
    pub(crate) contact_by_id: FastMap<&'a str, usize>,
    /// Per user: the index in `links` of its active link in this tenant (the first one).
    pub(crate) user_link: Vec<Option<usize>>,
    /// Per link: the index of its contact, when the contact is in the input.
    pub(crate) link_contact: Vec<Option<usize>>,
    /// Active links of this tenant whose identity is not listed (the first per identity), in
    /// input order.
    pub(crate) unlisted_links: Vec<usize>,
    /// Per user: named in `removedObjectIds`.
    pub(crate) user_removed: Vec<bool>,
    pub(crate) removed: FastSet<&'a str>,
    /// The operator's latest answer for each identity.
    pub(crate) resolution: FastMap<&'a str, &'a Resolution>,
}

/// The index of each contact id (the first copy wins), and whether any id is listed twice.
pub(crate) fn contact_index(contacts: &[Contact]) -> (FastMap<&str, usize>, bool) {
    let mut by_id: FastMap<&str, usize> = map_with_capacity(contacts.len());
    let mut repeated = false;
    for (i, contact) in contacts.iter().enumerate() {
        match by_id.entry(&contact.contact_id) {
            Entry::Occupied(_) => repeated = true,
            Entry::Vacant(e) => {
                e.insert(i);
            }
        }
    }
    (by_id, repeated)
}

impl<'a> Snapshot<'a> {
    /// Builds the tables over `input`, whose contacts `contact_by_id` indexes (see
    /// [`contact_index`]; each contact listed once). An identity listed twice is an
    /// `invalid_input` error.
    pub(crate) fn build(
        input: &'a PlanInput,
        contact_by_id: FastMap<&'a str, usize>,
    ) -> Result<Self, CoreError> {
        let mut user_by_id: FastMap<&str, usize> = map_with_capacity(input.users.len());
        for (i, user) in input.users.iter().enumerate() {
            if user_by_id.insert(&user.entra_object_id, i).is_some() {
                return Err(CoreError::invalid_input(format!(
                    "`users[{i}].entraObjectId` `{}` is listed twice",
                    echo(&user.entra_object_id)
                )));
            }
        }
        // Hosts usually list links in the order of their users and contacts: the entry after the
        // previous hit is tried before the table. Identities and contact ids are unique here, so
        // an equal id found either way is the same entry.
        let mut next_contact = 0usize;
        let mut next_user = 0usize;
        let mut user_link = vec![None; input.users.len()];
        let mut link_contact = Vec::with_capacity(input.links.len());
        let mut unlisted_links = Vec::new();
        let mut unlisted_seen: FastSet<&str> = FastSet::default();
        for (li, link) in input.links.iter().enumerate() {
            let contact = match input.contacts.get(next_contact) {
                Some(c) if c.contact_id == link.contact_id => Some(next_contact),
                _ => contact_by_id.get(link.contact_id.as_str()).copied(),
            };
            if let Some(c) = contact {
                next_contact = c + 1;
            }
            link_contact.push(contact);
            if !link.active || link.entra_tenant_id != input.entra_tenant_id {
                continue;
            }
            let user = match input.users.get(next_user) {
                Some(u) if u.entra_object_id == link.entra_object_id => Some(next_user),
                _ => user_by_id.get(link.entra_object_id.as_str()).copied(),
            };
            match user {
                Some(u) => {
                    next_user = u + 1;
                    if let Some(slot @ None) = user_link.get_mut(u) {
                        *slot = Some(li);
                    }
                }
                None => {
                    if unlisted_seen.insert(&link.entra_object_id) {
                        unlisted_links.push(li);
                    }
                }
            }
        }
        let removed: FastSet<&str> = input
            .removed_object_ids
            .iter()
            .map(String::as_str)
            .collect();
        let user_removed = input
            .users
            .iter()
            .map(|u| !removed.is_empty() && removed.contains(u.entra_object_id.as_str()))
            .collect();
        Ok(Self {
            input,
            contact_by_id,
            user_link,
            link_contact,
            unlisted_links,
            user_removed,
            removed,
            resolution: input
                .resolutions
                .iter()
                .map(|r| (r.entra_object_id.as_str(), r))
                .collect(),
        })
    }

    /// The contact with `contact_id` and its index.
    pub(crate) fn contact(&self, contact_id: &str) -> Option<(usize, &'a Contact)> {
        let i = *self.contact_by_id.get(contact_id)?;
        self.input.contacts.get(i).map(|c| (i, c))
    }

    /// The contact at index `i`.
    pub(crate) fn contact_at(&self, i: usize) -> Option<&'a Contact> {
        self.input.contacts.get(i)
    }

    /// Whether `contact` belongs to the mapped client.
    pub(crate) fn in_client(&self, contact: &Contact) -> bool {
        contact.client_id.as_deref() == Some(self.input.client_id.as_str())
    }

    /// For user `u`: its active link's index and the linked contact's index (if present).
    pub(crate) fn link_of_user(&self, u: usize) -> Option<(usize, Option<usize>)> {
        let li = (*self.user_link.get(u)?)?;
        Some((li, self.link_contact.get(li).copied().flatten()))
    }

    pub(crate) fn is_removed(&self, u: usize) -> bool {
        self.user_removed.get(u).copied().unwrap_or(false)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::model::{ContactLink, EntraUser};

    /// An active link of tenant `t` and client `c`, for the planner's tests.
    pub(in crate::reconcile) fn link(object_id: &str, contact_id: &str) -> ContactLink {
        ContactLink {
            entra_tenant_id: "t".into(),
            entra_object_id: object_id.into(),
            contact_id: contact_id.into(),
            client_id: Some("c".into()),
            active: true,
            last_seen_at: None,
            last_synced_at: None,
            status: None,
        }
    }

    fn input(links: Vec<ContactLink>) -> PlanInput {
        PlanInput {
            entra_tenant_id: "t".into(),
            client_id: "c".into(),
            users: ["u0", "u1", "u2"]
                .into_iter()
                .map(|id| EntraUser::new("t", id))
                .collect(),
            listing_complete: true,
            removed_object_ids: Vec::new(),
            contacts: ["k0", "k1", "k2"]
                .into_iter()
                .map(|id| Contact::new(id, "c"))
                .collect(),
            links,
            resolutions: Vec::new(),
            settings: Default::default(),
            now: None,
            synced_by: None,
            group_memberships: Vec::new(),
        }
    }

    #[test]
    fn resolves_links_in_any_order() {
        let input = input(vec![
            link("u2", "k2"),
            link("gone", "k1"),
            link("u0", "missing"),
            link("u1", "k0"),
            link("u2", "k1"),
        ]);
        let (by_id, repeated) = contact_index(&input.contacts);
        assert!(!repeated);
        let snap = Snapshot::build(&input, by_id).expect("valid");
        assert_eq!(
            snap.link_contact,
            [Some(2), Some(1), None, Some(0), Some(1)]
        );
        assert_eq!(snap.user_link, [Some(2), Some(3), Some(0)]);
        assert_eq!(snap.unlisted_links, [1]);
    }

    #[test]
    fn first_copy_of_a_contact_id_wins() {
        let contacts = vec![
            Contact::new("k0", "c"),
            Contact::new("k1", "c"),
            Contact::new("k0", "other"),
        ];
        let (by_id, repeated) = contact_index(&contacts);
        assert!(repeated);
        assert_eq!(by_id.get("k0"), Some(&0));
        assert_eq!(by_id.get("k1"), Some(&1));
    }
}
