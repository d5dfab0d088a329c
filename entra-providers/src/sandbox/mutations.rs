//! Changes to the directory between sync runs, as an admin would make them in the tenant. Each is
//! recorded in the change log, so the next delta round reports it (or `@removed` for deletions).

use super::error::SandboxError;
use super::estate::{Deletion, SandboxUser, UserKind};
use super::ids::guid;
use super::names::SKUS;
use super::state::{ChangeKind, State};

/// One change to the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mutation {
    /// `accountEnabled` becomes false (a normal change for delta, not a removal).
    Disable { user_id: String },
    /// `accountEnabled` becomes true.
    Enable { user_id: String },
    /// Moved to the recycle bin: delta reports `@removed: changed`.
    SoftDelete { user_id: String },
    /// Deleted for good: delta reports `@removed: deleted`.
    HardDelete { user_id: String },
    /// Restored from the recycle bin.
    Restore { user_id: String },
    /// New display name (and given name / surname when given).
    Rename {
        user_id: String,
        display_name: String,
        given_name: Option<String>,
        surname: Option<String>,
    },
    /// New primary address: `mail`, the UPN and the `SMTP:` proxy address change; the old primary
    /// stays as an `smtp:` alias, as Exchange keeps it.
    ChangeEmail { user_id: String, email: String },
    /// One more `smtp:` alias in `proxyAddresses`.
    AddAlias { user_id: String, address: String },
    /// A new licensed member in a tenant.
    AddUser { tenant_id: String, user: NewUser },
}

/// The person a [`Mutation::AddUser`] creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    /// Primary address and UPN; its domain must be one of the tenant's verified domains.
    pub email: String,
    pub job_title: Option<String>,
    pub account_enabled: bool,
}

/// The domain of an address, if it has the shape `local@domain`.
fn domain_of(address: &str) -> Option<String> {
    let (local, domain) = address.rsplit_once('@')?;
    (!local.is_empty() && domain.contains('.')).then(|| domain.to_ascii_lowercase())
}

/// Checks that an address can be given to a user of the tenant: verified domain, not taken.
fn check_address(state: &State, tenant_id: &str, address: &str) -> Result<(), SandboxError> {
    let domain = domain_of(address)
        .ok_or_else(|| SandboxError::InvalidMutation(format!("'{address}' is not an address")))?;
    let tenant = state
        .estate
        .tenant(tenant_id)
        .ok_or_else(|| SandboxError::UnknownTenant(tenant_id.to_string()))?;
    if !tenant.domains.contains(&domain) {
        return Err(SandboxError::InvalidMutation(format!(
            "'{domain}' is not a verified domain of the tenant"
        )));
    }
    let taken = state.estate.live_users(tenant_id).into_iter().any(|u| {
        u.user_principal_name.eq_ignore_ascii_case(address)
            || u.proxy_addresses
                .iter()
                .any(|p| p.get(5..).is_some_and(|a| a.eq_ignore_ascii_case(address)))
    });
    if taken {
        return Err(SandboxError::InvalidMutation(format!(
            "'{address}' is already used in the tenant"
        )));
    }
    Ok(())
}

/// Applies a mutation and returns the id of the user it touched.
pub fn apply(state: &mut State, mutation: Mutation) -> Result<String, SandboxError> {
    match mutation {
        Mutation::AddUser { tenant_id, user } => add_user(state, &tenant_id, user),
        Mutation::Disable { user_id } => update(state, &user_id, &["accountEnabled"], |u| {
            u.account_enabled = false;
            Ok(())
        }),
        Mutation::Enable { user_id } => update(state, &user_id, &["accountEnabled"], |u| {
            u.account_enabled = true;
            Ok(())
        }),
        Mutation::Rename {
            user_id,
            display_name,
            given_name,
            surname,
        } => update(
            state,
            &user_id,
            &["displayName", "givenName", "surname"],
            |u| {
                u.display_name = display_name;
                if given_name.is_some() {
                    u.given_name = given_name;
                }
                if surname.is_some() {
                    u.surname = surname;
                }
                Ok(())
            },
        ),
        Mutation::ChangeEmail { user_id, email } => {
            let tenant_id = live_tenant_of(state, &user_id)?;
            check_address(state, &tenant_id, &email)?;
            update(
                state,
                &user_id,
                &["mail", "userPrincipalName", "proxyAddresses"],
                |u| {
                    for p in u.proxy_addresses.iter_mut() {
                        if let Some(old) = p.strip_prefix("SMTP:") {
                            *p = format!("smtp:{old}");
                        }
                    }
                    u.proxy_addresses.insert(0, format!("SMTP:{email}"));
                    u.mail = Some(email.clone());
                    u.user_principal_name = email.to_ascii_lowercase();
                    Ok(())
                },
            )
        }
        Mutation::AddAlias { user_id, address } => {
            let tenant_id = live_tenant_of(state, &user_id)?;
            check_address(state, &tenant_id, &address)?;
            update(state, &user_id, &["proxyAddresses"], |u| {
                u.proxy_addresses.push(format!("smtp:{address}"));
                Ok(())
            })
        }
        Mutation::SoftDelete { user_id } => remove(state, &user_id, Deletion::Soft),
        Mutation::HardDelete { user_id } => remove(state, &user_id, Deletion::Hard),
        Mutation::Restore { user_id } => {
            let user = state
                .estate
                .find_user_mut(&user_id)
                .ok_or_else(|| SandboxError::UnknownUser(user_id.clone()))?;
            if user.deleted != Some(Deletion::Soft) {
                return Err(SandboxError::InvalidMutation(
                    "only a user in the recycle bin can be restored".into(),
                ));
            }
            user.deleted = None;
            let tenant_id = user.tenant_id.clone();
            state.record(&tenant_id, &user_id, ChangeKind::Restored);
            Ok(user_id)
        }
    }
}

fn live_tenant_of(state: &mut State, user_id: &str) -> Result<String, SandboxError> {
    state
        .estate
        .find_user_mut(user_id)
        .filter(|u| u.deleted.is_none())
        .map(|u| u.tenant_id.clone())
        .ok_or_else(|| SandboxError::UnknownUser(user_id.to_string()))
}

fn update(
    state: &mut State,
    user_id: &str,
    fields: &[&'static str],
    change: impl FnOnce(&mut SandboxUser) -> Result<(), SandboxError>,
) -> Result<String, SandboxError> {
    let user = state
        .estate
        .find_user_mut(user_id)
        .filter(|u| u.deleted.is_none())
        .ok_or_else(|| SandboxError::UnknownUser(user_id.to_string()))?;
    change(user)?;
    let tenant_id = user.tenant_id.clone();
    state.record(&tenant_id, user_id, ChangeKind::Updated(fields.to_vec()));
    Ok(user_id.to_string())
}

fn remove(state: &mut State, user_id: &str, how: Deletion) -> Result<String, SandboxError> {
    let user = state
        .estate
        .find_user_mut(user_id)
        .ok_or_else(|| SandboxError::UnknownUser(user_id.to_string()))?;
    match (user.deleted, how) {
        (Some(Deletion::Hard), _) | (Some(Deletion::Soft), Deletion::Soft) => {
            return Err(SandboxError::UnknownUser(user_id.to_string()));
        }
        _ => {}
    }
    user.deleted = Some(how);
    let tenant_id = user.tenant_id.clone();
    state.record(&tenant_id, user_id, ChangeKind::Removed(how));
    Ok(user_id.to_string())
}

fn add_user(state: &mut State, tenant_id: &str, new: NewUser) -> Result<String, SandboxError> {
    let tenant = state
        .estate
        .tenant(tenant_id)
        .cloned()
        .ok_or_else(|| SandboxError::UnknownTenant(tenant_id.to_string()))?;
    check_address(state, &tenant.tenant_id, &new.email)?;
    let id = guid(&mut state.mutation_rng);
    let local = new.email.split('@').next().unwrap_or("").to_string();
    let user = SandboxUser {
        id: id.clone(),
        tenant_id: tenant.tenant_id.clone(),
        user_principal_name: new.email.to_ascii_lowercase(),
        mail: Some(new.email.clone()),
        other_mails: Vec::new(),
        proxy_addresses: vec![
            format!("SMTP:{}", new.email),
            format!(
                "smtp:{}@{}",
                local.to_ascii_lowercase(),
                tenant.initial_domain
            ),
        ],
        display_name: new.display_name,
        given_name: new.given_name,
        surname: new.surname,
        account_enabled: new.account_enabled,
        user_type: "Member".into(),
        job_title: new.job_title,
        mobile_phone: None,
        business_phones: Vec::new(),
        department: None,
        company_name: None,
        office_location: None,
        preferred_language: Some("en-US".into()),
        on_premises_sync_enabled: tenant.directory_sync.then_some(true),
        assigned_licenses: vec![SKUS[0].to_string()],
        created_date_time: super::clock::iso(super::clock::unix_now()),
        creation_type: None,
        external_user_state: None,
        kind: UserKind::Person,
        deleted: None,
    };
    let list = state
        .estate
        .users
        .entry(tenant.tenant_id.clone())
        .or_default();
    let at = list.partition_point(|u| u.id < id);
    list.insert(at, user);
    state.record(&tenant.tenant_id, &id, ChangeKind::Added);
    Ok(id)
}
