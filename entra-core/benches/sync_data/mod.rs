//! A synthetic, deterministic tenant for the filter and planner benchmarks: mostly ordinary
//! people, plus disabled users, guests, service accounts and a custom-pattern population, with a
//! contact list in the state a steady recurring sync sees (most users already linked).

#![allow(dead_code)]

use entra_core::model::{
    Contact, ContactLink, EntraUser, FieldSync, FilterOptions, PhoneNumber, PhoneType, SyncSettings,
};
use entra_core::reconcile::PlanInput;

pub const TENANT: &str = "bench-tenant";
pub const CLIENT: &str = "bench-client";

/// User `i`: one in 20 is disabled, one in 50 a guest, one in 100 a service account, one in
/// 200 matches a custom pattern; the rest are people.
pub fn user(i: usize) -> EntraUser {
    let local = match i % 200 {
        7 => format!("svc-app{i}"),
        13 => format!("ext-contractor{i}"),
        _ => format!("user.{i}"),
    };
    let mut u = EntraUser::new(TENANT, format!("00000000-0000-4000-8000-{i:012}"));
    u.user_principal_name = Some(if i % 50 == 3 {
        format!("{local}_fabrikam.com#EXT#@contoso.onmicrosoft.com")
    } else {
        format!("{local}@contoso.com")
    });
    u.email = Some(format!("{local}@contoso.com"));
    u.proxy_addresses = vec![
        format!("SMTP:{local}@contoso.com"),
        format!("smtp:{local}@contoso.onmicrosoft.com"),
    ];
    u.display_name = Some(format!("User Number {i}"));
    u.given_name = Some("User".into());
    u.surname = Some(format!("Number {i}"));
    u.account_enabled = i % 20 != 5;
    u.user_type = Some(if i % 50 == 3 { "Guest" } else { "Member" }.into());
    u.job_title = Some(
        if i.is_multiple_of(10) {
            "Manager"
        } else {
            "Engineer"
        }
        .into(),
    );
    u.business_phones = vec![format!("+1 555 {:07}", i % 10_000_000)];
    u.assigned_license_sku_ids = vec!["c42b9cae-ea4f-4ab7-9717-81576235ccac".into()];
    u
}

pub fn users(n: usize) -> Vec<EntraUser> {
    (0..n).map(user).collect()
}

/// Filter options with two custom patterns, as a typical tenant configures them.
pub fn filter_options() -> FilterOptions {
    FilterOptions {
        custom_exclusion_patterns: vec!["^ext-".into(), "@contractors\\.contoso\\.com$".into()],
        include_guests: false,
        licensed_only: true,
        ..FilterOptions::default()
    }
}

/// Filter options with three custom patterns (an anchored prefix, an anchored domain and an
/// alternation), for the whole-`filter_users` benchmark.
pub fn filter_options_three_patterns() -> FilterOptions {
    FilterOptions {
        custom_exclusion_patterns: vec![
            "^ext-".into(),
            "@contractors\\.contoso\\.com$".into(),
            "^(room|conf)-".into(),
        ],
        include_guests: false,
        licensed_only: true,
        ..FilterOptions::default()
    }
}

/// A steady-state snapshot of `n` users: 90% linked (a tenth of those with a changed job title),
/// 5% unlinked but matching a contact by email, 3% new, 2% linked identities gone upstream;
/// plus unrelated contacts so the contact list also has `n` entries.
pub fn plan_input(n: usize) -> PlanInput {
    let mut users = Vec::with_capacity(n);
    let mut contacts = Vec::with_capacity(n);
    let mut links = Vec::with_capacity(n);
    for i in 0..n {
        let u = user(i);
        let bucket = i % 100;
        let email = u.email.clone();
        let contact_id = format!("contact-{i}");
        if bucket < 95 {
            let mut c = Contact::new(contact_id.clone(), CLIENT);
            c.email = email;
            c.full_name = u.display_name.clone();
            c.role = if i % 10 == 0 {
                Some("Engineer".into())
            } else {
                u.job_title.clone()
            };
            c.phone_numbers = vec![PhoneNumber {
                number: u.business_phones.first().cloned().unwrap_or_default(),
                kind: PhoneType::Work,
            }];
            contacts.push(c);
        } else {
            let mut c = Contact::new(contact_id.clone(), CLIENT);
            c.email = Some(format!("former.{i}@contoso.com"));
            c.full_name = Some(format!("Former {i}"));
            contacts.push(c);
        }
        if !(90..98).contains(&bucket) {
            links.push(ContactLink {
                entra_tenant_id: TENANT.into(),
                entra_object_id: u.entra_object_id.clone(),
                contact_id,
                client_id: Some(CLIENT.into()),
                active: true,
                last_seen_at: None,
                last_synced_at: None,
                status: None,
            });
        }
        if bucket < 98 {
            users.push(u);
        }
    }
    PlanInput {
        entra_tenant_id: TENANT.into(),
        client_id: CLIENT.into(),
        users,
        listing_complete: true,
        removed_object_ids: Vec::new(),
        contacts,
        links,
        resolutions: Vec::new(),
        settings: SyncSettings {
            field_sync: FieldSync {
                display_name: true,
                email: true,
                phone: true,
                job_title: true,
                upn: false,
            },
            filter: filter_options(),
            ..SyncSettings::default()
        },
        now: None,
        synced_by: None,
        group_memberships: Vec::new(),
    }
}
