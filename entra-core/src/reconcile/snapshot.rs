//! Lookup tables over a [`PlanInput`], built once per plan. Identities and contacts are resolved
//! to indexes a single time, so every later decision is an array access rather than a string
//! lookup: this is what keeps a plan over a million users within seconds.

use crate::error::CoreError;
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

impl<'a> Snapshot<'a> {
    /// Builds the tables; an identity listed twice is an `invalid_input` error (contacts
    /// are de-duplicated before).
    pub(crate) fn build(input: &'a PlanInput) -> Result<Self, CoreError> {
        let mut user_by_id: FastMap<&str, usize> = map_with_capacity(input.users.len());
        for (i, user) in input.users.iter().enumerate() {
            if user_by_id.insert(&user.entra_object_id, i).is_some() {
                return Err(CoreError::invalid_input(format!(
                    "`users[{i}].entraObjectId` `{}` is listed twice",
                    user.entra_object_id
                )));
            }
        }
        let mut contact_by_id: FastMap<&str, usize> = map_with_capacity(input.contacts.len());
        for (i, contact) in input.contacts.iter().enumerate() {
            contact_by_id.entry(&contact.contact_id).or_insert(i);
        }
        let mut user_link = vec![None; input.users.len()];
        let mut link_contact = Vec::with_capacity(input.links.len());
        let mut unlisted_links = Vec::new();
        let mut unlisted_seen: FastSet<&str> = FastSet::default();
        for (li, link) in input.links.iter().enumerate() {
            link_contact.push(contact_by_id.get(link.contact_id.as_str()).copied());
            if !link.active || link.entra_tenant_id != input.entra_tenant_id {
                continue;
            }
            match user_by_id.get(link.entra_object_id.as_str()) {
                Some(&u) => {
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
