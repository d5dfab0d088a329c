//! The synthetic estate itself: seeds, the awkward data it holds, counters, mutations, faults,
//! configuration and sharing across tasks.

use super::*;

#[tokio::test]
async fn same_seed_builds_the_same_estate_and_another_seed_another() -> TestResult {
    let a = start(SandboxConfig::default()).await;
    let b = start(SandboxConfig::default()).await;
    let c = start(SandboxConfig {
        seed: 7,
        ..SandboxConfig::default()
    })
    .await;
    assert_eq!(a.tenants(), b.tenants());
    assert_eq!(a.crm_clients(), b.crm_clients());
    assert_eq!(a.crm_contacts(), b.crm_contacts());
    assert_eq!(a.credentials().client_id, b.credentials().client_id);
    for t in a.tenants() {
        assert_eq!(a.users(&t.tenant_id), b.users(&t.tenant_id));
    }
    assert_ne!(a.tenants(), c.tenants());
    Ok(())
}

/// Two sandboxes of one seed given the same mutations create the same users, whatever tokens
/// either issued meanwhile: a fault-free twin can replay a faulty run's estate.
#[tokio::test]
async fn users_created_by_mutations_follow_the_seed_not_the_traffic() -> TestResult {
    let a = start(SandboxConfig::default()).await;
    let b = start(SandboxConfig::default()).await;
    let tenant = a.tenants()[0].clone();
    customer_token(&a, &tenant.tenant_id).await?;
    customer_token(&a, &tenant.tenant_id).await?;
    let add = || Mutation::AddUser {
        tenant_id: tenant.tenant_id.clone(),
        user: NewUser {
            display_name: "Twin".into(),
            given_name: None,
            surname: None,
            email: format!("twin@{}", tenant.default_domain),
            job_title: None,
            account_enabled: true,
        },
    };
    assert_eq!(a.mutate(add())?, b.mutate(add())?);
    Ok(())
}

#[tokio::test]
async fn the_estate_holds_what_breaks_naive_sync_code() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let tenants = sandbox.tenants();
    assert_eq!(tenants.len(), 5);
    let all: Vec<_> = tenants
        .iter()
        .flat_map(|t| sandbox.users(&t.tenant_id))
        .collect();
    assert_eq!(all.len(), 5 * 15);
    let guest = all
        .iter()
        .find(|u| u.kind == UserKind::Guest)
        .ok_or("no guest")?;
    assert!(guest.user_principal_name.contains("#EXT#"));
    assert_eq!(guest.user_type, "Guest");
    let sync = all
        .iter()
        .find(|u| u.kind == UserKind::SyncAccount)
        .ok_or("no sync account")?;
    assert!(sync.user_principal_name.starts_with("Sync_"));
    assert!(sync.user_principal_name.ends_with(".onmicrosoft.com"));
    assert_eq!(
        sync.display_name,
        "On-Premises Directory Synchronization Service Account"
    );
    let shared = all
        .iter()
        .find(|u| u.kind == UserKind::SharedMailbox)
        .ok_or("no shared mailbox")?;
    assert!(!shared.account_enabled && shared.assigned_licenses.is_empty());
    assert!(all.iter().any(|u| u.surname.as_deref() == Some("Abbott")));
    assert!(all.iter().any(|u| u.surname.as_deref() == Some("Talbot")));
    assert!(
        all.iter()
            .any(|u| u.kind == UserKind::Person && !u.account_enabled)
    );
    assert!(
        all.iter()
            .any(|u| u.proxy_addresses.iter().any(|p| p.starts_with("smtp:")))
    );
    // The same extra address on two users of one tenant.
    let first = &tenants[0];
    let users = sandbox.users(&first.tenant_id);
    let dup: Vec<_> = users
        .iter()
        .filter(|u| u.other_mails.iter().any(|m| m.starts_with("office.")))
        .collect();
    assert_eq!(dup.len(), 2);
    // Company names with punctuation or diacritics, and verified domains.
    assert!(
        tenants
            .iter()
            .any(|t| t.display_name.contains(['&', '\'', ',', '.']))
    );
    for t in &tenants {
        assert!(t.domains.contains(&t.default_domain));
        assert!(t.initial_domain.ends_with(".onmicrosoft.com"));
    }
    // The CRM side: each match kind, unrelated clients, ambiguous and misfiled contacts.
    let clients = sandbox.crm_clients();
    assert_eq!(clients.len(), 6);
    let kinds: BTreeSet<String> = tenants
        .iter()
        .map(|t| format!("{:?}", t.crm_match))
        .collect();
    assert!(kinds.len() >= 4, "{kinds:?}");
    let exact = tenants
        .iter()
        .find(|t| t.crm_match == CrmMatch::ExactDomain)
        .ok_or("no exact-domain tenant")?;
    let exact_client = clients
        .iter()
        .find(|c| Some(&c.client_id) == exact.crm_client_id.as_ref())
        .ok_or("no client")?;
    assert_eq!(exact_client.domains, vec![exact.default_domain.clone()]);
    let contacts = sandbox.crm_contacts();
    let exact_users = sandbox.users(&exact.tenant_id);
    let mails: BTreeSet<String> = exact_users
        .iter()
        .filter_map(|u| u.mail.as_ref().map(|m| m.to_lowercase()))
        .collect();
    let mut by_email = std::collections::BTreeMap::<String, Vec<_>>::new();
    for c in contacts
        .iter()
        .filter(|c| c.client_id.as_ref() == exact.crm_client_id.as_ref())
    {
        if let Some(e) = &c.email {
            by_email.entry(e.to_lowercase()).or_default().push(c);
        }
    }
    assert!(by_email.values().any(|v| v.len() == 2), "an ambiguous pair");
    assert!(
        by_email.keys().any(|e| mails.contains(e)),
        "an exact email match"
    );
    let misfiled = contacts.iter().any(|c| {
        c.client_id.as_ref() != exact.crm_client_id.as_ref()
            && c.email
                .as_ref()
                .is_some_and(|e| mails.contains(&e.to_lowercase()))
    });
    assert!(
        misfiled,
        "a contact of this tenant's people filed under another client"
    );
    let ids: BTreeSet<&str> = contacts.iter().map(|c| c.contact_id.as_str()).collect();
    assert_eq!(ids.len(), contacts.len(), "contact ids are unique");
    Ok(())
}

#[tokio::test]
async fn counters_mutation_errors_and_shutdown() -> TestResult {
    let sandbox = start(SandboxConfig::default()).await;
    let tenant = sandbox.tenants()[0].clone();
    let token = customer_token(&sandbox, &tenant.tenant_id).await?;
    let url = format!("{}/v1.0/users?$select=id", sandbox.graph_base_url());
    get(&url, &token).await?;
    get(&url, &token).await?;
    assert_eq!(sandbox.request_count("/v1.0/users"), 2);
    assert_eq!(
        sandbox.request_count(&format!("/{}/oauth2/v2.0/token", tenant.tenant_id)),
        1
    );
    let user = sandbox.users(&tenant.tenant_id)[0].id.clone();
    let err = sandbox
        .mutate(Mutation::ChangeEmail {
            user_id: user.clone(),
            email: "someone@not-their-domain.example".into(),
        })
        .err()
        .ok_or("a foreign domain must be refused")?;
    assert_eq!(err.code(), "invalid_mutation");
    let err = sandbox
        .mutate(Mutation::Disable {
            user_id: "no-such-user".into(),
        })
        .err()
        .ok_or("unknown users are refused")?;
    assert!(matches!(err, SandboxError::UnknownUser(_)));
    assert_eq!(err.code(), "unknown_user");
    // Debug output never shows secrets.
    let creds = sandbox.credentials();
    let debug = format!("{creds:?}");
    assert!(!debug.contains(&creds.client_secret) && !debug.contains(&creds.partner_refresh_token));
    assert!(!debug.contains(&creds.cipp_client_secret));
    let graph = sandbox.graph_base_url();
    sandbox.shutdown().await;
    assert!(
        http()
            .get(format!("{graph}/v1.0/users"))
            .send()
            .await
            .is_err()
    );
    Ok(())
}

#[tokio::test]
async fn invalid_configurations_are_refused() {
    let err = Sandbox::start(SandboxConfig {
        default_page_size: 0,
        ..SandboxConfig::default()
    })
    .await
    .err();
    assert_eq!(err.map(|e| e.code()), Some("invalid_config"));
}

#[tokio::test]
async fn faults_can_be_read_back() {
    let sandbox = start(SandboxConfig {
        faults: Faults {
            graph_throttle_rate: 0.25,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    assert_eq!(sandbox.faults().graph_throttle_rate, 0.25);
    sandbox.set_faults(Faults::default());
    assert_eq!(sandbox.faults(), Faults::default());
}

#[test]
fn the_sandbox_can_be_shared_across_tasks() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Sandbox>();
}

#[tokio::test]
async fn config_from_json_starts_the_described_estate() -> TestResult {
    let config = SandboxConfig::from_json(&serde_json::json!({
        "seed": 3,
        "tenants": 2,
        "usersPerTenant": 12,
        "crmClients": 3,
        "faults": {"graphThrottleNext": 1, "retryAfterSecs": 1}
    }))?;
    let sandbox = start(config).await;
    assert_eq!(sandbox.tenants().len(), 2);
    assert_eq!(sandbox.crm_clients().len(), 3);
    let tenant = sandbox.tenants()[0].tenant_id.clone();
    assert_eq!(sandbox.users(&tenant).len(), 12);
    let token = customer_token(&sandbox, &tenant).await?;
    let (status, _, _) = get(&format!("{}/v1.0/users", sandbox.graph_base_url()), &token).await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    Ok(())
}
