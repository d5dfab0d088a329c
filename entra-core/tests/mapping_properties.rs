//! Properties of the mapping functions over generated estates: every tenant lands in exactly one
//! preview group, previews do not depend on input order, discovery never loses a known tenant,
//! and mapping changes keep at most one active row per tenant and never drop history.

use std::collections::{BTreeMap, BTreeSet};

use entra_core::mapping::fuzzy::token_similarity;
use entra_core::mapping::names::ABBREVIATIONS;
use entra_core::mapping::{
    MappingChangesInput, MappingOperation, MergeDiscoveryInput, PreviewIndex, PreviewInput,
    PreviewOptions, merge_discovery, plan_mapping_changes, preview_mappings,
};
use entra_core::model::{Client, ManagedTenant, MappingState, TenantMapping, TenantStatus};
use proptest::prelude::*;

const WORDS: &[&str] = &[
    "acme", "alpha", "health", "wealth", "dental", "rental", "contoso", "fabrikam", "group", "inc",
    "gmbh", "&", "the", "müller", "mueller", "ibm", "sys", "systems", "med.", "media", "instr.",
];
const DOMAINS: &[&str] = &[
    "contoso.com",
    "portal.contoso.com",
    "fabrikam.co.uk",
    "gmail.com",
    "acme.onmicrosoft.com",
    "alpha.de",
    "localhost",
    "",
];

fn name() -> impl Strategy<Value = Option<String>> {
    prop::option::of(
        prop::collection::vec(prop::sample::select(WORDS), 0..4).prop_map(|w| w.join(" ")),
    )
}

fn domains() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(prop::sample::select(DOMAINS).prop_map(str::to_string), 0..3)
}

fn estate() -> impl Strategy<Value = PreviewInput> {
    (
        prop::collection::vec((name(), domains()), 0..12),
        prop::collection::vec((name(), domains(), domains()), 0..12),
        prop::collection::vec((0usize..12, prop::option::of(0usize..12)), 0..6),
    )
        .prop_map(|(tenants, clients, mappings)| {
            let tenants: Vec<ManagedTenant> = tenants
                .into_iter()
                .enumerate()
                .map(|(i, (display_name, domains))| {
                    let mut t = ManagedTenant::new(format!("t{i:02}"));
                    t.display_name = display_name;
                    t.domains = domains;
                    t
                })
                .collect();
            let clients: Vec<Client> = clients
                .into_iter()
                .enumerate()
                .map(|(i, (client_name, domains, secondary_domains))| Client {
                    client_id: format!("c{i:02}"),
                    client_name,
                    domains,
                    secondary_domains,
                })
                .collect();
            let mut seen = BTreeSet::new();
            let mappings = mappings
                .into_iter()
                .filter(|(t, _)| seen.insert(*t))
                .map(|(t, c)| TenantMapping {
                    entra_tenant_id: format!("t{t:02}"),
                    client_id: c.map(|c| format!("c{c:02}")),
                    state: if c.is_some() {
                        MappingState::Mapped
                    } else {
                        MappingState::Skipped
                    },
                    confirmed_at: None,
                    closed_at: None,
                })
                .collect();
            PreviewInput {
                tenants,
                clients,
                mappings,
                options: PreviewOptions::default(),
            }
        })
}

/// Whether two table rows can name the same business: a shared spelled-out form, one form a cut
/// of the other, or one typo apart.
fn rows_overlap(a: &[&str], b: &[&str]) -> bool {
    a.iter().any(|x| {
        b.iter()
            .any(|y| x.starts_with(y) || y.starts_with(x) || token_similarity(x, y) > 0.0)
    })
}

const FIRST_WORDS: &[&str] = &["Lincoln", "Delta", "Summit", "Cascade", "Alpha", "Müller"];

proptest! {
    /// A reusable index gives the one-shot preview's answer, for the whole tenant list and for a
    /// part of it previewed later against the same index.
    #[test]
    fn an_index_built_once_previews_exactly_as_preview_mappings(
        input in estate(),
        split in 0usize..12,
    ) {
        let index = PreviewIndex::new(input.clients.clone(), input.options.clone())
            .expect("generated clients are valid");
        let split = split.min(input.tenants.len());
        for tenants in [&input.tenants[..], &input.tenants[split..], &input.tenants[..split]] {
            let one_shot = preview_mappings(&PreviewInput {
                tenants: tenants.to_vec(),
                ..input.clone()
            });
            let indexed = index.preview(tenants, &input.mappings);
            prop_assert_eq!(
                indexed.map_err(|e| e.code()),
                one_shot.map_err(|e| e.code())
            );
        }
    }

    #[test]
    fn a_name_sharing_only_its_first_word_is_never_a_candidate_abbreviated_or_not(
        first in prop::sample::select(FIRST_WORDS),
        i in 0..ABBREVIATIONS.len(),
        j in 0..ABBREVIATIONS.len(),
        abbreviate_tenant in any::<bool>(),
        abbreviate_client in any::<bool>(),
        dot in any::<bool>(),
    ) {
        let ((short_a, long_a), (short_b, long_b)) = (ABBREVIATIONS[i], ABBREVIATIONS[j]);
        prop_assume!(!rows_overlap(long_a, long_b));
        let word = |short: &str, long: &str, abbreviate: bool| {
            if abbreviate { format!("{short}{}", if dot { "." } else { "" }) } else { long.to_string() }
        };
        let mut tenant = ManagedTenant::new("t1");
        tenant.display_name = Some(format!("{first} {}", word(short_a, long_a[0], abbreviate_tenant)));
        let client = Client {
            client_id: "c1".into(),
            client_name: Some(format!("{first} {}", word(short_b, long_b[0], abbreviate_client))),
            domains: Vec::new(),
            secondary_domains: Vec::new(),
        };
        let out = preview_mappings(&PreviewInput {
            tenants: vec![tenant],
            clients: vec![client],
            mappings: Vec::new(),
            options: PreviewOptions::default(),
        })
        .expect("valid input");
        prop_assert!(out.fuzzy_candidates.is_empty(), "{:?}", out.fuzzy_candidates);
    }

    #[test]
    fn an_abbreviated_business_word_finds_its_spelled_out_client_first(
        first in prop::sample::select(FIRST_WORDS),
        i in 0..ABBREVIATIONS.len(),
        tenant_abbreviates in any::<bool>(),
    ) {
        let (short, long) = ABBREVIATIONS[i];
        let (a, b) = if tenant_abbreviates { (short, long[0]) } else { (long[0], short) };
        let mut tenant = ManagedTenant::new("t1");
        tenant.display_name = Some(format!("The {first} {a}, Inc."));
        let clients = vec![
            Client {
                client_id: "c1".into(),
                client_name: Some(format!("{first} {b} LLC")),
                domains: Vec::new(),
                secondary_domains: Vec::new(),
            },
            Client {
                client_id: "c0".into(),
                client_name: Some(format!("{first} {b} Holdings")),
                domains: Vec::new(),
                secondary_domains: Vec::new(),
            },
        ];
        let out = preview_mappings(&PreviewInput {
            tenants: vec![tenant],
            clients,
            mappings: Vec::new(),
            options: PreviewOptions::default(),
        })
        .expect("valid input");
        let group = out.fuzzy_candidates.first().expect("a candidate");
        let top = group.candidates.first().expect("a candidate");
        prop_assert_eq!(top.client_id.as_str(), "c1");
        prop_assert_eq!(top.score, 1.0);
        let evidence = top.evidence.as_ref().expect("evidence");
        prop_assert!(evidence.exact_name);
    }

    #[test]
    fn clients_with_the_tenants_normalized_name_come_first(input in estate()) {
        let out = preview_mappings(&input).expect("valid input");
        for group in &out.fuzzy_candidates {
            let exact: Vec<bool> = group
                .candidates
                .iter()
                .map(|c| c.evidence.as_ref().is_some_and(|e| e.exact_name))
                .collect();
            // Every exact-name candidate comes before every other candidate.
            prop_assert!(exact.windows(2).all(|w| w[0] || !w[1]), "{:?}", group);
        }
    }

    #[test]
    fn every_tenant_is_in_exactly_one_group_whatever_the_order(input in estate()) {
        let out = preview_mappings(&input).expect("valid input");
        let mut seen: Vec<&str> = Vec::new();
        seen.extend(out.auto_matched.iter().map(|m| m.entra_tenant_id.as_str()));
        seen.extend(out.fuzzy_candidates.iter().map(|m| m.entra_tenant_id.as_str()));
        seen.extend(out.unmatched.iter().map(|m| m.entra_tenant_id.as_str()));
        seen.extend(out.mapped.iter().map(|m| m.entra_tenant_id.as_str()));
        seen.extend(out.skipped.iter().map(|m| m.entra_tenant_id.as_str()));
        seen.sort_unstable();
        let mut expected: Vec<&str> = input.tenants.iter().map(|t| t.entra_tenant_id.as_str()).collect();
        expected.sort_unstable();
        prop_assert_eq!(seen, expected);

        for group in &out.fuzzy_candidates {
            prop_assert!(!group.candidates.is_empty());
            prop_assert!(group.candidates.len() <= input.options.top_k);
            for pair in group.candidates.windows(2) {
                prop_assert!(pair[0].score >= pair[1].score);
            }
        }
        // Names never map automatically.
        for m in &out.auto_matched {
            prop_assert_eq!(m.suggestion.score, 1.0);
            prop_assert!(m.suggestion.matched_domain.is_some());
        }

        let mut reversed = input.clone();
        reversed.tenants.reverse();
        reversed.clients.reverse();
        prop_assert_eq!(preview_mappings(&reversed).expect("valid input"), out);
    }

    #[test]
    fn discovery_never_loses_a_known_tenant(
        known in prop::collection::vec((0usize..10, name(), any::<bool>()), 0..8),
        listed in prop::collection::vec((0usize..10, name()), 0..8),
        complete in any::<bool>(),
    ) {
        let tenant = |i: usize, n: Option<String>| {
            let mut t = ManagedTenant::new(format!("t{i}"));
            t.display_name = n;
            t
        };
        let mut ids = BTreeSet::new();
        let known: Vec<ManagedTenant> = known
            .into_iter()
            .filter(|(i, _, _)| ids.insert(*i))
            .map(|(i, n, gone)| {
                let mut t = tenant(i, n);
                if gone {
                    t.status = TenantStatus::NotListed;
                }
                t
            })
            .collect();
        let listed: Vec<ManagedTenant> = listed.into_iter().map(|(i, n)| tenant(i, n)).collect();
        let input = MergeDiscoveryInput { known: known.clone(), listed: listed.clone(), listing_complete: complete };
        let out = merge_discovery(&input).expect("valid input");
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for t in out.update.iter().chain(&out.unchanged).chain(&out.not_listed) {
            *counts.entry(t.entra_tenant_id.as_str()).or_default() += 1;
        }
        for t in &known {
            prop_assert_eq!(counts.get(t.entra_tenant_id.as_str()).copied(), Some(1));
        }
        for t in &out.insert {
            prop_assert!(!known.iter().any(|k| k.entra_tenant_id == t.entra_tenant_id));
        }
        if !complete || listed.is_empty() {
            prop_assert!(out.not_listed.is_empty());
            prop_assert!(out.insert.is_empty());
            prop_assert!(out.update.is_empty());
        }
        for t in &out.not_listed {
            prop_assert_eq!(t.status, TenantStatus::NotListed);
        }
    }

    #[test]
    fn mapping_changes_keep_one_active_row_and_all_history(
        current in prop::collection::vec((0usize..5, prop::option::of(0usize..4)), 0..5),
        ops in prop::collection::vec((0u8..4, 0usize..5, 0usize..4, 0usize..4), 0..8),
    ) {
        let mut seen = BTreeSet::new();
        let mappings: Vec<TenantMapping> = current
            .into_iter()
            .filter(|(t, _)| seen.insert(*t))
            .map(|(t, c)| TenantMapping {
                entra_tenant_id: format!("t{t}"),
                client_id: c.map(|c| format!("c{c}")),
                state: if c.is_some() { MappingState::Mapped } else { MappingState::Skipped },
                confirmed_at: None,
                closed_at: None,
            })
            .collect();
        let operations: Vec<MappingOperation> = ops
            .into_iter()
            .map(|(kind, t, a, b)| {
                let entra_tenant_id = format!("t{t}");
                match kind {
                    0 => MappingOperation::Confirm { entra_tenant_id, client_id: format!("c{a}") },
                    1 => MappingOperation::Skip { entra_tenant_id },
                    2 => MappingOperation::Remap {
                        entra_tenant_id,
                        from_client_id: format!("c{a}"),
                        to_client_id: format!("c{b}"),
                    },
                    _ => MappingOperation::Unmap { entra_tenant_id },
                }
            })
            .collect();
        let input = MappingChangesInput {
            mappings: mappings.clone(),
            operations,
            now: Some("2026-01-01T00:00:00Z".into()),
        };
        let Ok(out) = plan_mapping_changes(&input) else {
            return Ok(());
        };
        // Apply the changes: every closed row must be the tenant's active row at that point.
        let mut active: BTreeMap<String, TenantMapping> = mappings
            .into_iter()
            .map(|m| (m.entra_tenant_id.clone(), m))
            .collect();
        let mut history = Vec::new();
        for change in &out.changes {
            let before = active.remove(&change.entra_tenant_id);
            match (&before, &change.closed) {
                (Some(b), Some(c)) => {
                    let mut reopened = c.clone();
                    reopened.closed_at = None;
                    prop_assert_eq!(b, &reopened);
                    prop_assert!(c.closed_at.is_some());
                    history.push(c.clone());
                }
                (None, None) => {}
                _ => prop_assert!(false, "closed row does not match the active row: {change:?}"),
            }
            if let Some(opened) = &change.opened {
                prop_assert!(opened.closed_at.is_none());
                active.insert(change.entra_tenant_id.clone(), opened.clone());
            }
        }
        // Planning the same operations again on the result changes nothing more than
        // conflicts would: a confirm of the now-current mapping is a no-op.
        let again = MappingChangesInput {
            mappings: active.values().cloned().chain(history).collect(),
            operations: active
                .values()
                .filter_map(|m| m.client_id.clone().map(|client_id| MappingOperation::Confirm {
                    entra_tenant_id: m.entra_tenant_id.clone(),
                    client_id,
                }))
                .collect(),
            now: None,
        };
        let out = plan_mapping_changes(&again).expect("confirming current mappings is valid");
        prop_assert!(out.changes.is_empty());
    }
}
