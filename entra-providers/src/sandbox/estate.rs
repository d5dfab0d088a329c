//! The synthetic MSP estate: a partner tenant, its customer tenants and their users, plus the CRM
//! records (clients, contacts) a PSA host would already have before its first sync.
//!
//! The estate is a pure function of the seed and sizes. It deliberately contains what breaks naive
//! sync code: guests, sync and service accounts, shared mailboxes and rooms, disabled people,
//! aliases, duplicate addresses, people named Abbott or Talbot, companies whose CRM names differ
//! from their tenant names, and CRM contacts that are ambiguous or belong to another client.

use std::collections::{HashMap, HashSet};

use entra_core::model::{Client, Contact, EntraUser, PhoneNumber, PhoneType};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use super::config::SandboxConfig;
use super::error::SandboxError;
use super::ids::{guid, hex};
use super::names::{self, fold};

/// A tenant of the estate, as a test or host needs to know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxTenant {
    pub tenant_id: String,
    pub display_name: String,
    /// The verified custom domain marked default.
    pub default_domain: String,
    /// The `*.onmicrosoft.com` domain.
    pub initial_domain: String,
    /// Every verified domain, the default first.
    pub domains: Vec<String>,
    /// Domains added to the tenant but never verified (Graph lists them with `isVerified: false`).
    pub unverified_domains: Vec<String>,
    /// Onboarded to Microsoft 365 Lighthouse (listed by `managedTenants/tenants`).
    pub lighthouse: bool,
    /// Still has a legacy DAP contract (listed by `/v1.0/contracts`).
    pub dap_contract: bool,
    /// Users are synchronized from on-premises AD.
    pub directory_sync: bool,
    /// The CRM client meant to be this tenant's client, if the host has one.
    pub crm_client_id: Option<String>,
    /// How that client can be recognized.
    pub crm_match: CrmMatch,
    /// When the tenant was created (Unix seconds).
    pub created: u64,
}

/// How a tenant's CRM client can be recognized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CrmMatch {
    /// The client lists the tenant's default domain.
    ExactDomain,
    /// The client lists another verified domain of the tenant.
    OtherVerifiedDomain,
    /// Only the client's secondary domains (billing mail, contacts) contain the tenant's domain.
    SecondaryDomain,
    /// Only the name is similar (no domain at all).
    FuzzyName,
    /// The host has no client for this tenant.
    None,
}

/// What a user account is for; Graph does not say so directly, which is the point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UserKind {
    Person,
    Admin,
    Guest,
    SyncAccount,
    ServiceAccount,
    SharedMailbox,
    Room,
}

/// How a user was removed from the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Deletion {
    /// In the recycle bin (restorable); delta reports `@removed: changed`.
    Soft,
    /// Gone for good; delta reports `@removed: deleted`.
    Hard,
}

/// One user object, with the Graph properties the sandbox serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxUser {
    pub id: String,
    pub tenant_id: String,
    pub user_principal_name: String,
    pub mail: Option<String>,
    pub other_mails: Vec<String>,
    pub proxy_addresses: Vec<String>,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub account_enabled: bool,
    pub user_type: String,
    pub job_title: Option<String>,
    pub mobile_phone: Option<String>,
    pub business_phones: Vec<String>,
    pub department: Option<String>,
    pub company_name: Option<String>,
    pub office_location: Option<String>,
    pub preferred_language: Option<String>,
    pub on_premises_sync_enabled: Option<bool>,
    pub assigned_licenses: Vec<String>,
    pub created_date_time: String,
    pub creation_type: Option<String>,
    pub external_user_state: Option<String>,
    pub kind: UserKind,
    /// `Some` once the user was deleted; deleted users are hidden from listings.
    pub deleted: Option<Deletion>,
}

impl SandboxUser {
    /// The canonical record a correct provider produces for this user.
    pub fn to_entra_user(&self) -> EntraUser {
        EntraUser {
            entra_tenant_id: self.tenant_id.clone(),
            entra_object_id: self.id.clone(),
            user_principal_name: Some(self.user_principal_name.clone()),
            email: self.mail.clone(),
            other_mails: self.other_mails.clone(),
            proxy_addresses: self.proxy_addresses.clone(),
            display_name: Some(self.display_name.clone()),
            given_name: self.given_name.clone(),
            surname: self.surname.clone(),
            account_enabled: self.account_enabled,
            user_type: Some(self.user_type.clone()),
            job_title: self.job_title.clone(),
            mobile_phone: self.mobile_phone.clone(),
            business_phones: self.business_phones.clone(),
            assigned_license_sku_ids: self.assigned_licenses.clone(),
        }
    }

    /// The `mailboxSettings.userPurpose` Exchange reports, when the user has a mailbox.
    pub fn user_purpose(&self) -> Option<&'static str> {
        match self.kind {
            UserKind::Person | UserKind::Admin if self.mail.is_some() => Some("user"),
            UserKind::SharedMailbox => Some("shared"),
            UserKind::Room => Some("room"),
            UserKind::ServiceAccount if self.mail.is_some() => Some("user"),
            _ => None,
        }
    }
}

/// The whole estate.
#[derive(Debug, Clone)]
pub(crate) struct Estate {
    pub partner: SandboxTenant,
    pub tenants: Vec<SandboxTenant>,
    /// Users by tenant id (the partner's included), each list sorted by object id.
    pub users: HashMap<String, Vec<SandboxUser>>,
    pub clients: Vec<Client>,
    pub contacts: Vec<Contact>,
    /// The partner's own sign-in user (the one the partner refresh token belongs to).
    pub partner_user_id: String,
    pub partner_user_upn: String,
}

impl Estate {
    /// The tenant with this id or any of its domains (case-insensitive), the partner included.
    pub fn tenant(&self, key: &str) -> Option<&SandboxTenant> {
        let key = key.to_ascii_lowercase();
        std::iter::once(&self.partner)
            .chain(self.tenants.iter())
            .find(|t| t.tenant_id == key || t.initial_domain == key || t.domains.contains(&key))
    }

    /// A user (deleted ones included), searching every tenant.
    pub fn find_user_mut(&mut self, user_id: &str) -> Option<&mut SandboxUser> {
        self.users
            .values_mut()
            .flat_map(|list| list.iter_mut())
            .find(|u| u.id == user_id)
    }

    /// The users of one tenant that are not deleted.
    pub fn live_users(&self, tenant_id: &str) -> Vec<&SandboxUser> {
        self.users
            .get(tenant_id)
            .map(|list| list.iter().filter(|u| u.deleted.is_none()).collect())
            .unwrap_or_default()
    }

    /// Builds the estate for a configuration.
    pub fn generate(config: &SandboxConfig) -> Result<Self, SandboxError> {
        if config.tenants > 5_000 {
            return Err(SandboxError::InvalidConfig(
                "at most 5000 tenants are supported".into(),
            ));
        }
        if config.users_per_tenant > 100_000 {
            return Err(SandboxError::InvalidConfig(
                "at most 100000 users per tenant are supported".into(),
            ));
        }
        let mut rng = StdRng::seed_from_u64(config.seed);
        let mut generator = Generator {
            rng: &mut rng,
            used_stems: HashSet::new(),
            used_initials: HashSet::new(),
        };
        let companies = generator.companies(config.tenants);
        let partner_idx = generator.rng.random_range(0..names::PARTNERS.len());
        let (partner_name, partner_stem) = names::PARTNERS[partner_idx];
        let partner = SandboxTenant {
            tenant_id: guid(generator.rng),
            display_name: partner_name.to_string(),
            default_domain: format!("{partner_stem}.com"),
            initial_domain: format!("{}.onmicrosoft.com", partner_stem.replace('-', "")),
            domains: vec![
                format!("{partner_stem}.com"),
                format!("{}.onmicrosoft.com", partner_stem.replace('-', "")),
            ],
            unverified_domains: Vec::new(),
            lighthouse: false,
            dap_contract: false,
            directory_sync: false,
            crm_client_id: None,
            crm_match: CrmMatch::None,
            created: 1_420_070_400,
        };
        let mut tenants = Vec::with_capacity(companies.len());
        for (k, company) in companies.iter().enumerate() {
            tenants.push(generator.tenant(k, company));
        }

        let mut users = HashMap::new();
        let partner_users = generator.partner_users(&partner);
        let partner_user = partner_users
            .first()
            .map(|u| (u.id.clone(), u.user_principal_name.clone()))
            .unwrap_or_default();
        users.insert(partner.tenant_id.clone(), partner_users);

        let mut created_order: Vec<Vec<SandboxUser>> = Vec::with_capacity(tenants.len());
        let mut previous_person_mail: Option<String> = None;
        for (k, tenant) in tenants.iter().enumerate() {
            let list =
                generator.tenant_users(k, tenant, config.users_per_tenant, &previous_person_mail);
            previous_person_mail = list
                .iter()
                .find(|u| u.kind == UserKind::Person && u.account_enabled)
                .and_then(|u| u.mail.clone());
            created_order.push(list);
        }

        let (clients, contacts) = crm(config, &mut tenants, &companies, &created_order);
        for (tenant, list) in tenants.iter().zip(created_order) {
            let mut sorted = list;
            sorted.sort_by(|a, b| a.id.cmp(&b.id));
            users.insert(tenant.tenant_id.clone(), sorted);
        }
        Ok(Self {
            partner,
            tenants,
            users,
            clients,
            contacts,
            partner_user_id: partner_user.0,
            partner_user_upn: partner_user.1,
        })
    }
}

/// One company behind a tenant.
#[derive(Debug, Clone)]
struct Company {
    name: String,
    stem: String,
    tld: String,
    variant: String,
}

struct Generator<'a> {
    rng: &'a mut StdRng,
    used_stems: HashSet<String>,
    used_initials: HashSet<String>,
}

/// Slots at the start of each tenant's user list that hold special accounts; regular staff follow.
const SPECIAL_SLOTS: usize = 10;

impl Generator<'_> {
    fn companies(&mut self, n: usize) -> Vec<Company> {
        let mut order: Vec<usize> = (0..names::COMPANIES.len()).collect();
        order.shuffle(self.rng);
        let mut out = Vec::with_capacity(n);
        for &i in order.iter().take(n) {
            let (name, stem, tld, variant) = names::COMPANIES[i];
            self.used_stems.insert(stem.to_string());
            out.push(Company {
                name: name.to_string(),
                stem: stem.to_string(),
                tld: tld.to_string(),
                variant: variant.to_string(),
            });
        }
        let words = names::COMPANY_WORDS.len();
        let trades = names::TRADES.len();
        let mut counter = self.rng.random_range(0..words * trades);
        while out.len() < n {
            let word = names::COMPANY_WORDS[counter % words];
            let trade = names::TRADES[(counter / words) % trades];
            let (suffix, tld) = names::SUFFIXES[counter % names::SUFFIXES.len()];
            let round = counter / (words * trades);
            counter += 1;
            let (base, stem) = if round == 0 {
                (
                    format!("{word} {trade}"),
                    format!("{}{}", word.to_lowercase(), trade.to_lowercase()),
                )
            } else {
                (
                    format!("{word} {trade} {}", round + 1),
                    format!(
                        "{}{}{}",
                        word.to_lowercase(),
                        trade.to_lowercase(),
                        round + 1
                    ),
                )
            };
            if !self.used_stems.insert(stem.clone()) {
                continue;
            }
            out.push(Company {
                name: format!("{base}{suffix}"),
                stem,
                tld: tld.to_string(),
                variant: base,
            });
        }
        out
    }

    fn tenant(&mut self, k: usize, company: &Company) -> SandboxTenant {
        let default_domain = format!("{}.{}", company.stem, company.tld);
        let mut initial = company.stem.replace('-', "");
        if !self.used_initials.insert(initial.clone()) {
            initial = format!("{initial}{}", hex(self.rng, 4));
            self.used_initials.insert(initial.clone());
        }
        let initial_domain = format!("{initial}.onmicrosoft.com");
        let mut domains = vec![default_domain.clone()];
        if k % 5 == 3 || k.is_multiple_of(3) {
            let other_tld = if company.tld == "com" { "net" } else { "com" };
            domains.push(format!("{}.{other_tld}", company.stem));
        }
        domains.push(initial_domain.clone());
        let unverified_domains = if k % 4 == 1 {
            vec![format!("{}-old.{}", company.stem, company.tld)]
        } else {
            Vec::new()
        };
        SandboxTenant {
            tenant_id: guid(self.rng),
            display_name: company.name.clone(),
            default_domain,
            initial_domain,
            domains,
            unverified_domains,
            lighthouse: k % 3 != 2,
            dap_contract: k.is_multiple_of(4),
            directory_sync: k % 2 == 1,
            crm_client_id: None,
            crm_match: CrmMatch::None,
            created: 1_546_300_800 + (k as u64 % 1000) * 37 * 86_400,
        }
    }

    fn partner_users(&mut self, partner: &SandboxTenant) -> Vec<SandboxUser> {
        let mut used = HashSet::new();
        let mut list = Vec::new();
        let mut admin = self.person(partner, &mut used, "Dana", "Whitfield", 0);
        admin.job_title = Some("Service Delivery Manager".into());
        list.push(admin);
        for i in 1..5 {
            let given = names::GIVEN[self.rng.random_range(0..names::GIVEN.len())];
            let surname = names::SURNAMES[self.rng.random_range(0..names::SURNAMES.len())];
            let mut tech = self.person(partner, &mut used, given, surname, i);
            tech.job_title = Some("Support Technician".into());
            list.push(tech);
        }
        list
    }

    fn tenant_users(
        &mut self,
        k: usize,
        tenant: &SandboxTenant,
        count: usize,
        previous_person_mail: &Option<String>,
    ) -> Vec<SandboxUser> {
        let mut used = HashSet::new();
        let mut list = Vec::with_capacity(count);
        let dup_address = format!("office.{}@outlook.com", fold(&tenant.default_domain));
        for slot in 0..count {
            let user = match slot {
                0 => self.admin(tenant),
                1 => {
                    let surname = if k.is_multiple_of(2) {
                        "Abbott"
                    } else {
                        "Talbot"
                    };
                    let given = names::GIVEN[self.rng.random_range(0..names::GIVEN.len())];
                    self.person(tenant, &mut used, given, surname, slot)
                }
                2 => self.guest(tenant, previous_person_mail),
                3 => self.shared_mailbox(tenant, &mut used),
                4 => {
                    let mut p = self.random_person(tenant, &mut used, slot);
                    p.account_enabled = false;
                    p
                }
                5 if tenant.directory_sync => self.sync_account(tenant),
                5 => self.service_account(tenant, "svc-backup", "Backup Service"),
                6 => self.service_account(tenant, "scanner", "Scan to Email"),
                7 => self.room(tenant, &mut used),
                8 | 9 => {
                    let mut p = self.random_person(tenant, &mut used, slot);
                    p.other_mails.push(dup_address.clone());
                    p
                }
                _ => self.random_person(tenant, &mut used, slot),
            };
            list.push(user);
        }
        list
    }

    fn base(&mut self, tenant: &SandboxTenant, upn: String, display: &str) -> SandboxUser {
        let created = tenant.created + self.rng.random_range(0..900) * 86_400;
        SandboxUser {
            id: guid(self.rng),
            tenant_id: tenant.tenant_id.clone(),
            user_principal_name: upn,
            mail: None,
            other_mails: Vec::new(),
            proxy_addresses: Vec::new(),
            display_name: display.to_string(),
            given_name: None,
            surname: None,
            account_enabled: true,
            user_type: "Member".into(),
            job_title: None,
            mobile_phone: None,
            business_phones: Vec::new(),
            department: None,
            company_name: None,
            office_location: None,
            preferred_language: None,
            on_premises_sync_enabled: None,
            assigned_licenses: Vec::new(),
            created_date_time: super::clock::iso(created),
            creation_type: None,
            external_user_state: None,
            kind: UserKind::Person,
            deleted: None,
        }
    }

    fn admin(&mut self, tenant: &SandboxTenant) -> SandboxUser {
        let mut u = self.base(
            tenant,
            format!("admin@{}", tenant.initial_domain),
            "IT Administrator",
        );
        u.kind = UserKind::Admin;
        u.given_name = Some("IT".into());
        u.surname = Some("Administrator".into());
        u.other_mails = vec![format!("it.backup.{}@outlook.com", hex(self.rng, 4))];
        u.mobile_phone = Some(format!("425-555-{:04}", self.rng.random_range(100..9999)));
        u
    }

    fn random_person(
        &mut self,
        tenant: &SandboxTenant,
        used: &mut HashSet<String>,
        slot: usize,
    ) -> SandboxUser {
        let given = names::GIVEN[self.rng.random_range(0..names::GIVEN.len())];
        let surname = names::SURNAMES[self.rng.random_range(0..names::SURNAMES.len())];
        self.person(tenant, used, given, surname, slot)
    }

    fn person(
        &mut self,
        tenant: &SandboxTenant,
        used: &mut HashSet<String>,
        given: &str,
        surname: &str,
        slot: usize,
    ) -> SandboxUser {
        let g = fold(given);
        let s = fold(surname);
        let mut local = format!("{g}.{s}");
        let mut n = 2;
        while !used.insert(local.to_ascii_lowercase()) {
            local = format!("{g}.{s}{n}");
            n += 1;
        }
        let domain = &tenant.default_domain;
        let upn = format!("{}@{domain}", local.to_ascii_lowercase());
        let mut u = self.base(tenant, upn.clone(), &format!("{given} {surname}"));
        // Half the mailboxes keep the capitals people typed when they were created.
        let mail = if slot.is_multiple_of(2) {
            upn.clone()
        } else {
            format!("{local}@{domain}")
        };
        let short = format!(
            "{}{}",
            g.chars()
                .next()
                .map(|c| c.to_ascii_lowercase())
                .unwrap_or('x'),
            s.to_ascii_lowercase()
        );
        u.proxy_addresses = vec![
            format!("SMTP:{mail}"),
            format!("smtp:{short}@{domain}"),
            format!(
                "smtp:{}@{}",
                local.to_ascii_lowercase(),
                tenant.initial_domain
            ),
        ];
        u.mail = Some(mail);
        u.given_name = Some(given.to_string());
        u.surname = Some(surname.to_string());
        u.job_title = Some(names::TITLES[self.rng.random_range(0..names::TITLES.len())].into());
        u.department =
            Some(names::DEPARTMENTS[self.rng.random_range(0..names::DEPARTMENTS.len())].into());
        u.business_phones = vec![format!(
            "+1 425 555 {:04}",
            self.rng.random_range(100..9999)
        )];
        if self.rng.random_bool(0.5) {
            u.mobile_phone = Some(format!(
                "+1 206 555 {:04}",
                self.rng.random_range(100..9999)
            ));
        }
        if self.rng.random_bool(0.3) {
            u.company_name = Some(tenant.display_name.clone());
        }
        u.office_location = Some(format!(
            "{}/{}",
            self.rng.random_range(1..5),
            self.rng.random_range(100..400)
        ));
        u.preferred_language = Some("en-US".into());
        u.assigned_licenses = vec![names::SKUS[self.rng.random_range(0..2)].to_string()];
        if tenant.directory_sync {
            u.on_premises_sync_enabled = Some(true);
        }
        u
    }

    fn guest(&mut self, tenant: &SandboxTenant, external: &Option<String>) -> SandboxUser {
        let mail = external
            .clone()
            .unwrap_or_else(|| format!("jordan.lee{}@gmail.com", hex(self.rng, 2)));
        let local = mail.replace('@', "_").to_ascii_lowercase();
        let name = mail.split('@').next().unwrap_or("guest").replace('.', " ");
        let mut u = self.base(
            tenant,
            format!("{local}#EXT#@{}", tenant.initial_domain),
            &format!("{name} (Guest)"),
        );
        u.kind = UserKind::Guest;
        u.user_type = "Guest".into();
        u.mail = Some(mail.clone());
        u.other_mails = vec![mail.clone()];
        u.proxy_addresses = vec![format!("SMTP:{mail}")];
        u.creation_type = Some("Invitation".into());
        u.external_user_state = Some("Accepted".into());
        u
    }

    fn shared_mailbox(
        &mut self,
        tenant: &SandboxTenant,
        used: &mut HashSet<String>,
    ) -> SandboxUser {
        used.insert("info".into());
        let mail = format!("info@{}", tenant.default_domain);
        let mut u = self.base(tenant, mail.clone(), "Info");
        u.kind = UserKind::SharedMailbox;
        u.account_enabled = false;
        u.mail = Some(mail.clone());
        u.proxy_addresses = vec![
            format!("SMTP:{mail}"),
            format!("smtp:info@{}", tenant.initial_domain),
        ];
        u
    }

    fn room(&mut self, tenant: &SandboxTenant, used: &mut HashSet<String>) -> SandboxUser {
        let name = names::ROOMS[self.rng.random_range(0..names::ROOMS.len())];
        let local = format!("conf-room-{}", name.to_ascii_lowercase());
        used.insert(local.clone());
        let mail = format!("{local}@{}", tenant.default_domain);
        let mut u = self.base(tenant, mail.clone(), &format!("Conf Room {name}"));
        u.kind = UserKind::Room;
        u.account_enabled = false;
        u.mail = Some(mail.clone());
        u.proxy_addresses = vec![format!("SMTP:{mail}")];
        u
    }

    fn sync_account(&mut self, tenant: &SandboxTenant) -> SandboxUser {
        let host = ["DC01", "AADC-SRV", "SYNC01"][self.rng.random_range(0..3)];
        let upn = format!(
            "Sync_{host}_{}@{}",
            hex(self.rng, 12),
            tenant.initial_domain
        );
        let mut u = self.base(
            tenant,
            upn,
            "On-Premises Directory Synchronization Service Account",
        );
        u.kind = UserKind::SyncAccount;
        u.surname = Some("Synchronization Service Account".into());
        u.given_name = Some("On-Premises Directory".into());
        u.on_premises_sync_enabled = None;
        u
    }

    fn service_account(
        &mut self,
        tenant: &SandboxTenant,
        local: &str,
        display: &str,
    ) -> SandboxUser {
        let mail = format!("{local}@{}", tenant.default_domain);
        let mut u = self.base(tenant, mail.clone(), display);
        u.kind = UserKind::ServiceAccount;
        u.mail = Some(mail.clone());
        u.proxy_addresses = vec![format!("SMTP:{mail}")];
        u
    }
}

/// The CRM side: clients (matching the tenants in different ways, or not at all) and contacts.
fn crm(
    config: &SandboxConfig,
    tenants: &mut [SandboxTenant],
    companies: &[Company],
    users: &[Vec<SandboxUser>],
) -> (Vec<Client>, Vec<Contact>) {
    let mut clients = Vec::new();
    let mut unrelated_n = 0usize;
    let mut unrelated = |clients: &mut Vec<Client>| {
        let (name, domain) = names::UNRELATED[unrelated_n % names::UNRELATED.len()];
        let round = unrelated_n / names::UNRELATED.len();
        unrelated_n += 1;
        let (name, domain) = if round == 0 {
            (name.to_string(), domain.to_string())
        } else {
            (
                format!("{name} {}", round + 1),
                format!("{}{domain}", round + 1),
            )
        };
        let id = format!("cl-{:04}", clients.len() + 1);
        clients.push(Client {
            client_id: id,
            client_name: Some(name),
            domains: vec![domain],
            secondary_domains: Vec::new(),
        });
    };
    for k in 0..config.crm_clients {
        let Some((tenant, company)) = tenants.get_mut(k).zip(companies.get(k)) else {
            unrelated(&mut clients);
            continue;
        };
        let kind = match k % 5 {
            0 => CrmMatch::ExactDomain,
            1 => CrmMatch::FuzzyName,
            2 => CrmMatch::SecondaryDomain,
            3 => CrmMatch::OtherVerifiedDomain,
            _ => CrmMatch::None,
        };
        if kind == CrmMatch::None {
            unrelated(&mut clients);
            continue;
        }
        let id = format!("cl-{:04}", clients.len() + 1);
        let other_domain = tenant
            .domains
            .iter()
            .find(|d| **d != tenant.default_domain && !d.ends_with(".onmicrosoft.com"))
            .cloned();
        let (name, domains, secondary) = match (kind, other_domain) {
            (CrmMatch::ExactDomain, _) => (
                tenant.display_name.clone(),
                vec![tenant.default_domain.clone()],
                Vec::new(),
            ),
            (CrmMatch::OtherVerifiedDomain, Some(other)) => {
                (tenant.display_name.clone(), vec![other], Vec::new())
            }
            (CrmMatch::SecondaryDomain, _) => (
                company.variant.clone(),
                Vec::new(),
                vec![tenant.default_domain.clone()],
            ),
            _ => (company.variant.clone(), Vec::new(), Vec::new()),
        };
        tenant.crm_client_id = Some(id.clone());
        tenant.crm_match = kind;
        clients.push(Client {
            client_id: id,
            client_name: Some(name),
            domains,
            secondary_domains: secondary,
        });
    }

    let mut drafts: Vec<Contact> = Vec::new();
    for (tenant, list) in tenants.iter().zip(users) {
        let Some(client_id) = tenant.crm_client_id.clone() else {
            continue;
        };
        let other_client = clients
            .iter()
            .filter(|c| c.client_id != client_id)
            .find(|c| {
                !tenants
                    .iter()
                    .any(|t| t.crm_client_id.as_ref() == Some(&c.client_id))
            })
            .or_else(|| clients.iter().find(|c| c.client_id != client_id))
            .map(|c| c.client_id.clone());
        let people: Vec<&SandboxUser> = list
            .iter()
            .enumerate()
            .filter(|(slot, u)| {
                u.kind == UserKind::Person && u.account_enabled && *slot >= SPECIAL_SLOTS
            })
            .map(|(_, u)| u)
            .collect();
        let named = list.get(1).filter(|u| u.kind == UserKind::Person);
        let disabled = list.get(4).filter(|u| u.kind == UserKind::Person);
        let contact = |user: &SandboxUser, client: &str, email: Option<String>| Contact {
            full_name: Some(user.display_name.clone()),
            email,
            role: user.job_title.clone(),
            phone_numbers: user
                .business_phones
                .iter()
                .map(|n| PhoneNumber {
                    number: n.clone(),
                    kind: PhoneType::Work,
                })
                .collect(),
            ..Contact::new(String::new(), client)
        };
        // By exact email, written in lower case as CRMs often store it.
        if let Some(u) = people.first() {
            drafts.push(contact(
                u,
                &client_id,
                u.mail.as_ref().map(|m| m.to_lowercase()),
            ));
        }
        // By an alias (an smtp: proxy address), not the primary address.
        if let Some(u) = people.get(1) {
            let alias = u
                .proxy_addresses
                .iter()
                .find_map(|p| p.strip_prefix("smtp:"))
                .map(str::to_string);
            drafts.push(contact(u, &client_id, alias));
        }
        // Two contacts with the same address: ambiguous, must be queued, never guessed.
        if let Some(u) = people.get(2) {
            drafts.push(contact(u, &client_id, u.mail.clone()));
            let mut twin = contact(u, &client_id, u.mail.clone());
            twin.full_name = u.given_name.as_ref().map(|g| format!("{g} (old record)"));
            drafts.push(twin);
        }
        // The right address, but filed under another client: must never be linked.
        if let (Some(u), Some(other)) = (people.get(3), other_client.as_ref()) {
            drafts.push(contact(u, other, u.mail.clone()));
        }
        if let Some(u) = named {
            drafts.push(contact(u, &client_id, u.mail.clone()));
        }
        if let Some(u) = disabled {
            drafts.push(contact(u, &client_id, u.mail.clone()));
        }
        let mut former = Contact::new(String::new(), client_id.as_str());
        former.full_name = Some("Former Employee".into());
        former.email = Some(format!("former.employee@{}", tenant.default_domain));
        drafts.push(former);
    }
    for client in clients.iter().filter(|c| {
        !tenants
            .iter()
            .any(|t| t.crm_client_id.as_ref() == Some(&c.client_id))
    }) {
        let mut c = Contact::new(String::new(), client.client_id.as_str());
        c.full_name = Some("Pat Morgan".into());
        c.email = client.domains.first().map(|d| format!("pat.morgan@{d}"));
        drafts.push(c);
    }
    let contacts = drafts
        .into_iter()
        .enumerate()
        .map(|(i, mut c)| {
            c.contact_id = format!("ct-{:04}", i + 1);
            c
        })
        .collect();
    (clients, contacts)
}
