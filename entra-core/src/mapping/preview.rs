//! `preview_mappings`: proposes a client for every discovered tenant without writing anything.
//!
//! Only one kind of evidence is strong enough to map a tenant without a person looking at it: a
//! verified tenant domain that exactly one client owns, when that client has no tenant yet.
//! Everything else (shared domains, secondary domains, similar names) becomes a ranked list of
//! candidates for an operator to confirm.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::domain::{evidence_of_host, normalize_domain, onmicrosoft_label};
use super::fuzzy::{AbbreviationUse, NameMethod, PreparedName, score_label, score_names};
use super::index::{ClientIndex, Scratch};
use crate::error::{CoreError, echo};
use crate::model::{Client, ManagedTenant, MappingState, TenantMapping, nullable::or_default};

/// Default minimum name score for a fuzzy candidate, chosen on the committed evaluation set
/// (`tests/data/mapping_eval.json`): the highest threshold with the best F1 of the top candidate
/// (precision 0.96, recall 1.00; F1 is flat from 0.55 to 0.75 and falls above 0.75).
pub const DEFAULT_THRESHOLD: f64 = 0.75;
/// Default number of candidates listed per tenant.
pub const DEFAULT_TOP_K: usize = 5;
/// Score of an exact match on one of the client's own domains.
pub const EXACT_DOMAIN_SCORE: f64 = 1.0;
/// Score of a match on a client's secondary domain (billing or contact email domains): weaker
/// evidence, always left for review.
pub const SECONDARY_DOMAIN_SCORE: f64 = 0.88;

/// Tuning of a preview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PreviewOptions {
    /// Minimum name score (0..=1) for a fuzzy candidate.
    pub threshold: f64,
    /// Maximum number of candidates per tenant (at least 1).
    pub top_k: usize,
}

impl Default for PreviewOptions {
    fn default() -> Self {
        Self {
            threshold: DEFAULT_THRESHOLD,
            top_k: DEFAULT_TOP_K,
        }
    }
}

/// Input of [`preview_mappings`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewInput {
    pub tenants: Vec<ManagedTenant>,
    /// The PSA's clients; absent or `null` means none.
    #[serde(default, deserialize_with = "or_default")]
    pub clients: Vec<Client>,
    /// The current mappings; rows with a `closedAt` are history and are ignored.
    #[serde(default, deserialize_with = "or_default")]
    pub mappings: Vec<TenantMapping>,
    #[serde(default, deserialize_with = "or_default")]
    pub options: PreviewOptions,
}

/// Why a client is suggested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchReason {
    /// A tenant domain is one of the client's own domains.
    ExactDomain,
    /// A tenant domain is one of the client's secondary domains.
    SecondaryDomain,
    /// The names are similar.
    FuzzyName,
}

/// What was compared, so an operator can judge a suggestion.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    /// The tenant's domain, normalized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_domain: Option<String>,
    /// The client's domain, normalized (it may be a subdomain of the matched domain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_domain: Option<String>,
    /// The tenant's normalized name (or its `*.onmicrosoft.com` label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_name: Option<String>,
    /// The client's normalized name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    /// How the names were found similar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<NameMethod>,
    /// The client's name equals the tenant's after normalization: it is listed first.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exact_name: bool,
    /// The abbreviations that made words of the two names agree (`Sys` for `Systems`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub abbreviations: Vec<AbbreviationUse>,
}

/// A client proposed for a tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Suggestion {
    pub client_id: String,
    /// 0..=1, rounded to four decimals.
    pub score: f64,
    pub reason: MatchReason,
    /// The registrable domain both sides share, for domain reasons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
}

/// A tenant that can be mapped without review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoMatch {
    pub entra_tenant_id: String,
    #[serde(rename = "match")]
    pub suggestion: Suggestion,
}

/// A tenant with candidates for review, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CandidateGroup {
    pub entra_tenant_id: String,
    pub candidates: Vec<Suggestion>,
}

/// A tenant named in a group without further detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantRef {
    pub entra_tenant_id: String,
}

/// A tenant that already has a confirmed mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MappedRef {
    pub entra_tenant_id: String,
    pub client_id: String,
}

/// Output of [`preview_mappings`]: every tenant appears in exactly one group, each group sorted
/// by `entraTenantId`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewOutput {
    pub auto_matched: Vec<AutoMatch>,
    pub fuzzy_candidates: Vec<CandidateGroup>,
    pub unmatched: Vec<TenantRef>,
    pub mapped: Vec<MappedRef>,
    pub skipped: Vec<TenantRef>,
}

/// Tenant ids are GUIDs, which hosts spell in either case.
pub(crate) fn tenant_key(id: &str) -> String {
    id.trim().to_ascii_lowercase()
}

fn round4(score: f64) -> f64 {
    (score * 10_000.0).round() / 10_000.0
}

/// The active (not closed) mapping of each tenant, keyed by [`tenant_key`]. Two different
/// active rows for one tenant contradict the "one active mapping" rule.
pub(crate) fn active_mappings(
    mappings: &[TenantMapping],
) -> Result<HashMap<String, &TenantMapping>, CoreError> {
    let mut active: HashMap<String, &TenantMapping> = HashMap::new();
    for (i, row) in mappings.iter().enumerate() {
        if row.closed_at.is_some() {
            continue;
        }
        if row.entra_tenant_id.trim().is_empty() {
            return Err(CoreError::invalid_input(format!(
                "field `mappings[{i}].entraTenantId` must not be empty"
            )));
        }
        let client = row.client_id.as_deref().map(str::trim).unwrap_or_default();
        if row.state == MappingState::Mapped && client.is_empty() {
            return Err(CoreError::invalid_input(format!(
                "field `mappings[{i}].clientId` is required when state is `mapped`"
            )));
        }
        let key = tenant_key(&row.entra_tenant_id);
        if let Some(previous) = active.get(&key)
            && (previous.state != row.state || previous.client_id != row.client_id)
        {
            let mut client_ids: Vec<String> = [&previous.client_id, &row.client_id]
                .into_iter()
                .map(|c| {
                    c.as_deref()
                        .map_or_else(|| "(skipped)".into(), |c| echo(c).into_owned())
                })
                .collect();
            client_ids.sort();
            return Err(CoreError::MappingConflict {
                message: format!(
                    "tenant {} has two active mappings: {} and {}",
                    echo(&row.entra_tenant_id),
                    client_ids.first().map_or("", String::as_str),
                    client_ids.get(1).map_or("", String::as_str),
                ),
                entra_tenant_id: echo(&row.entra_tenant_id).into_owned(),
                client_ids,
            });
        }
        active.insert(key, row);
    }
    Ok(active)
}

fn validate(input: &PreviewInput) -> Result<(), CoreError> {
    validate_options(&input.options)?;
    validate_tenants(&input.tenants)?;
    validate_clients(&input.clients)
}

fn validate_options(o: &PreviewOptions) -> Result<(), CoreError> {
    if !o.threshold.is_finite() || !(0.0..=1.0).contains(&o.threshold) {
        return Err(CoreError::invalid_input(
            "field `options.threshold` must be a number between 0 and 1",
        ));
    }
    if o.top_k == 0 {
        return Err(CoreError::invalid_input(
            "field `options.topK` must be at least 1",
        ));
    }
    Ok(())
}

fn validate_tenants(tenants: &[ManagedTenant]) -> Result<(), CoreError> {
    let mut seen = HashSet::new();
    for (i, t) in tenants.iter().enumerate() {
        if t.entra_tenant_id.trim().is_empty() {
            return Err(CoreError::invalid_input(format!(
                "field `tenants[{i}].entraTenantId` must not be empty"
            )));
        }
        if !seen.insert(tenant_key(&t.entra_tenant_id)) {
            return Err(CoreError::invalid_input(format!(
                "field `tenants[{i}].entraTenantId`: tenant {} is listed twice",
                echo(&t.entra_tenant_id)
            )));
        }
    }
    Ok(())
}

fn validate_clients(clients: &[Client]) -> Result<(), CoreError> {
    let mut seen = HashSet::new();
    for (i, c) in clients.iter().enumerate() {
        if c.client_id.trim().is_empty() {
            return Err(CoreError::invalid_input(format!(
                "field `clients[{i}].clientId` must not be empty"
            )));
        }
        if !seen.insert(c.client_id.as_str()) {
            return Err(CoreError::invalid_input(format!(
                "field `clients[{i}].clientId`: client {} is listed twice",
                echo(&c.client_id)
            )));
        }
    }
    if u32::try_from(clients.len()).is_err() {
        return Err(CoreError::invalid_input("too many clients"));
    }
    Ok(())
}

/// A ranked candidate: the client's position and its suggestion.
struct Ranked {
    client: u32,
    suggestion: Suggestion,
}

fn reason_rank(reason: MatchReason) -> u8 {
    match reason {
        MatchReason::ExactDomain => 0,
        MatchReason::SecondaryDomain => 1,
        MatchReason::FuzzyName => 2,
    }
}

fn has_exact_name(s: &Suggestion) -> bool {
    s.evidence.as_ref().is_some_and(|e| e.exact_name)
}

/// The order of a tenant's candidates: a client whose name equals the tenant's after
/// normalization first; then by score, highest first; then exact domain, secondary domain, name;
/// then by client id, so equal candidates always come in the same order.
fn candidate_order(a: &Suggestion, b: &Suggestion) -> Ordering {
    has_exact_name(b)
        .cmp(&has_exact_name(a))
        .then(b.score.total_cmp(&a.score))
        .then(reason_rank(a.reason).cmp(&reason_rank(b.reason)))
        .then(a.client_id.cmp(&b.client_id))
}

/// What a candidate's evidence is made of, kept as borrowed parts until the candidate makes the
/// top list: a tenant may reach thousands of clients, and only `topK` of them are reported.
#[derive(Clone)]
enum Basis<'a> {
    Domain {
        registrable: &'a str,
        tenant_host: &'a str,
        client_host: &'a str,
    },
    /// `label` is the `*.onmicrosoft.com` label that scored, `None` for the display name.
    Name {
        label: Option<&'a str>,
        method: NameMethod,
        abbreviations: Vec<AbbreviationUse>,
    },
}

/// The best evidence found so far for one client.
#[derive(Clone)]
struct Offer<'a> {
    score: f64,
    reason: MatchReason,
    /// The client's normalized name equals the tenant's.
    exact_name: bool,
    basis: Basis<'a>,
}

/// Keeps the better of the client's current offer and `offer`: the higher score, then the
/// stronger reason, the earlier offer on a full tie. A domain offer kept for a client whose name
/// is also exact says so too.
fn offer<'a>(best: &mut HashMap<u32, Offer<'a>>, client: u32, offer: Offer<'a>) {
    match best.get_mut(&client) {
        Some(current)
            if current.score > offer.score
                || (current.score == offer.score
                    && reason_rank(current.reason) <= reason_rank(offer.reason)) =>
        {
            current.exact_name |= offer.exact_name;
        }
        _ => {
            best.insert(client, offer);
        }
    }
}

/// A candidate in the ranking: ordered best first (the client a domain may map automatically,
/// then an exact name, then higher score, then stronger reason, then client id: the order of
/// [`candidate_order`]), so the greatest element of a max-heap is the worst candidate kept.
struct RankKey<'a> {
    pinned: bool,
    exact_name: bool,
    score: f64,
    rank: u8,
    client_id: &'a str,
    client: u32,
    offer: Offer<'a>,
}

impl RankKey<'_> {
    fn order(&self, other: &Self) -> std::cmp::Ordering {
        other
            .pinned
            .cmp(&self.pinned)
            .then(other.exact_name.cmp(&self.exact_name))
            .then(other.score.total_cmp(&self.score))
            .then(self.rank.cmp(&other.rank))
            .then(self.client_id.cmp(other.client_id))
    }
}

impl PartialEq for RankKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.order(other).is_eq()
    }
}

impl Eq for RankKey<'_> {}

impl PartialOrd for RankKey<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for RankKey<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.order(other)
    }
}

/// The `k` best offers, best first, in memory bounded by `k` whatever the number of offers.
/// Client ids are unique, so the order is total and the result is the one a full sort gives.
fn top_k<'a>(offers: impl Iterator<Item = RankKey<'a>>, k: usize) -> Vec<RankKey<'a>> {
    let mut heap: BinaryHeap<RankKey<'a>> = BinaryHeap::with_capacity(k.min(1024) + 1);
    for key in offers {
        if heap.len() < k {
            heap.push(key);
        } else if heap.peek().is_some_and(|worst| key < *worst) {
            heap.pop();
            heap.push(key);
        }
    }
    heap.into_sorted_vec()
}

/// Everything computed for one unmapped tenant.
struct TenantSuggestions {
    ranked: Vec<Ranked>,
    /// Distinct clients reached through an exact domain.
    exact_clients: Vec<u32>,
}

fn suggest(
    tenant: &ManagedTenant,
    clients: &[Client],
    index: &ClientIndex,
    options: &PreviewOptions,
    scratch: &mut Scratch,
) -> TenantSuggestions {
    let client_id = |c: u32| clients.get(c as usize).map_or("", |c| c.client_id.as_str());
    let mut raw_domains: Vec<&str> = tenant.domains.iter().map(String::as_str).collect();
    if let Some(primary) = &tenant.primary_domain {
        raw_domains.push(primary);
    }
    // (registrable, host) pairs, deterministic order, one per registrable domain.
    let mut domains: Vec<(String, String)> = raw_domains
        .iter()
        .filter_map(|raw| {
            let host = normalize_domain(raw)?;
            Some((evidence_of_host(&host)?, host))
        })
        .collect();
    domains.sort();
    domains.dedup_by(|a, b| a.0 == b.0);
    let mut labels: Vec<String> = raw_domains
        .iter()
        .filter_map(|d| onmicrosoft_label(d))
        .collect();
    labels.sort();
    labels.dedup();

    let mut best: HashMap<u32, Offer<'_>> = HashMap::new();
    let mut exact_clients: Vec<u32> = Vec::new();
    for (registrable, host) in &domains {
        for (hits, reason, score) in [
            (
                index.primary_hits(registrable),
                MatchReason::ExactDomain,
                EXACT_DOMAIN_SCORE,
            ),
            (
                index.secondary_hits(registrable),
                MatchReason::SecondaryDomain,
                SECONDARY_DOMAIN_SCORE,
            ),
        ] {
            for hit in hits {
                if reason == MatchReason::ExactDomain {
                    exact_clients.push(hit.client);
                }
                offer(
                    &mut best,
                    hit.client,
                    Offer {
                        score,
                        reason,
                        exact_name: false,
                        basis: Basis::Domain {
                            registrable,
                            tenant_host: host,
                            client_host: &hit.host,
                        },
                    },
                );
            }
        }
    }
    exact_clients.sort_unstable();
    exact_clients.dedup();

    let name = PreparedName::new(tenant.display_name.as_deref().unwrap_or_default());
    for candidate in index.name_candidates(&name, &labels, options.threshold, scratch) {
        let Some(client_name) = index.name(candidate) else {
            continue;
        };
        let mut scored = score_names(&name, client_name);
        let mut label_used: Option<&str> = None;
        for label in &labels {
            if let Some(s) = score_label(label, client_name)
                && s.score > scored.score
            {
                scored = s;
                label_used = Some(label);
            }
        }
        if scored.score >= options.threshold && scored.score > 0.0 {
            offer(
                &mut best,
                candidate,
                Offer {
                    score: round4(scored.score),
                    reason: MatchReason::FuzzyName,
                    exact_name: scored.exact,
                    basis: Basis::Name {
                        label: label_used,
                        method: scored.method,
                        abbreviations: scored.abbreviations,
                    },
                },
            );
        }
    }

    // The one client a domain may map automatically is kept ahead of the list's cut; when it is
    // not mapped automatically, the candidates are put in `candidate_order` again.
    let sole_exact = match exact_clients.as_slice() {
        [only] => Some(*only),
        _ => None,
    };
    let keys = best.into_iter().map(|(client, offer)| RankKey {
        pinned: Some(client) == sole_exact,
        exact_name: offer.exact_name,
        score: offer.score,
        rank: reason_rank(offer.reason),
        client_id: client_id(client),
        client,
        offer,
    });
    let ranked = top_k(keys, options.top_k)
        .into_iter()
        .map(|key| Ranked {
            client: key.client,
            suggestion: materialize(&key, &name, index),
        })
        .collect();
    TenantSuggestions {
        ranked,
        exact_clients,
    }
}

/// The reported suggestion of a ranked offer.
fn materialize(key: &RankKey<'_>, tenant_name: &PreparedName, index: &ClientIndex) -> Suggestion {
    let offer = &key.offer;
    let (matched_domain, evidence) = match &offer.basis {
        Basis::Domain {
            registrable,
            tenant_host,
            client_host,
        } => (
            Some(registrable.to_string()),
            Evidence {
                tenant_domain: Some(tenant_host.to_string()),
                client_domain: Some(client_host.to_string()),
                ..Evidence::default()
            },
        ),
        Basis::Name {
            label,
            method,
            abbreviations,
        } => (
            None,
            Evidence {
                tenant_name: Some(label.map_or_else(|| tenant_name.name.display(), str::to_string)),
                client_name: index.name(key.client).map(|n| n.name.display()),
                method: Some(*method),
                abbreviations: abbreviations.clone(),
                ..Evidence::default()
            },
        ),
    };
    let evidence = Evidence {
        exact_name: offer.exact_name,
        ..evidence
    };
    Suggestion {
        client_id: key.client_id.to_string(),
        score: offer.score,
        reason: offer.reason,
        matched_domain,
        evidence: Some(evidence),
    }
}

/// Sorts every tenant into auto-matched, candidates for review, unmatched, mapped or skipped.
///
/// A client already mapped to another tenant is never auto-matched but stays a candidate: one
/// organisation may own several tenants, and only an operator can tell.
///
/// Pure and deterministic: nothing is written, and the same input gives the same output.
pub fn preview_mappings(input: &PreviewInput) -> Result<PreviewOutput, CoreError> {
    validate(input)?;
    let index = ClientIndex::build(&input.clients);
    preview_with_index(
        &input.tenants,
        &input.clients,
        &index,
        &input.mappings,
        &input.options,
    )
}

/// The clients and options of [`preview_mappings`], validated and indexed once, for hosts that
/// preview new tenants again and again against the same clients (the index is most of a
/// preview's cost). [`PreviewIndex::preview`] gives exactly what `preview_mappings` gives for an
/// input with these clients and options.
pub struct PreviewIndex {
    clients: Vec<Client>,
    options: PreviewOptions,
    index: ClientIndex,
}

/// What a [`PreviewIndex`] is built from: the [`PreviewInput`] fields that stay the same between
/// previews, read exactly as [`preview_mappings`] reads them (absent or `null`: no clients / the
/// default options; a bad client is reported as `clients[3].clientId: ...`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewIndexInput {
    #[serde(default, deserialize_with = "or_default")]
    pub clients: Vec<Client>,
    #[serde(default, deserialize_with = "or_default")]
    pub options: PreviewOptions,
}

/// Input of [`PreviewIndex::preview`]: the [`PreviewInput`] fields that change between previews.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexedPreviewInput {
    pub tenants: Vec<ManagedTenant>,
    /// The current mappings; rows with a `closedAt` are history and are ignored.
    #[serde(default, deserialize_with = "or_default")]
    pub mappings: Vec<TenantMapping>,
}

impl PreviewIndex {
    /// Validates `options` and `clients` as `preview_mappings` does (`invalid_input` naming the
    /// field) and indexes the clients.
    pub fn new(clients: Vec<Client>, options: PreviewOptions) -> Result<Self, CoreError> {
        Self::from_input(PreviewIndexInput { clients, options })
    }

    /// [`PreviewIndex::new`] over the read input.
    pub fn from_input(input: PreviewIndexInput) -> Result<Self, CoreError> {
        let PreviewIndexInput { clients, options } = input;
        validate_options(&options)?;
        validate_clients(&clients)?;
        let index = ClientIndex::build(&clients);
        Ok(Self {
            clients,
            options,
            index,
        })
    }

    /// The indexed clients, in the order given.
    pub fn clients(&self) -> &[Client] {
        &self.clients
    }

    /// The options every preview of this index uses.
    pub fn options(&self) -> &PreviewOptions {
        &self.options
    }

    /// [`preview_mappings`] of `tenants` and `mappings` against the indexed clients.
    pub fn preview(
        &self,
        tenants: &[ManagedTenant],
        mappings: &[TenantMapping],
    ) -> Result<PreviewOutput, CoreError> {
        validate_tenants(tenants)?;
        preview_with_index(tenants, &self.clients, &self.index, mappings, &self.options)
    }

    /// [`PreviewIndex::preview`] of a deserialized input.
    pub fn preview_input(&self, input: &IndexedPreviewInput) -> Result<PreviewOutput, CoreError> {
        self.preview(&input.tenants, &input.mappings)
    }
}

fn preview_with_index(
    tenants: &[ManagedTenant],
    clients: &[Client],
    index: &ClientIndex,
    mappings: &[TenantMapping],
    options: &PreviewOptions,
) -> Result<PreviewOutput, CoreError> {
    let active = active_mappings(mappings)?;
    let mut mapped_clients: HashSet<&str> = HashSet::new();
    for row in active.values() {
        if row.state == MappingState::Mapped
            && let Some(c) = &row.client_id
        {
            mapped_clients.insert(c.as_str());
        }
    }
    let mut scratch = index.scratch();
    let mut out = PreviewOutput::default();
    // Tenants with a unique exact-domain client, before checking that no other tenant claims it.
    let mut provisional: Vec<(String, Vec<Suggestion>)> = Vec::new();
    let mut claims: HashMap<u32, usize> = HashMap::new();
    let mut pending: Vec<(String, Vec<Ranked>, Option<u32>)> = Vec::new();

    for tenant in tenants {
        let id = tenant.entra_tenant_id.clone();
        if let Some(row) = active.get(&tenant_key(&id)) {
            match (row.state, &row.client_id) {
                (MappingState::Mapped, Some(client_id)) => out.mapped.push(MappedRef {
                    entra_tenant_id: id,
                    client_id: client_id.clone(),
                }),
                _ => out.skipped.push(TenantRef {
                    entra_tenant_id: id,
                }),
            }
            continue;
        }
        let found = suggest(tenant, clients, index, options, &mut scratch);
        let auto = match found.exact_clients.as_slice() {
            [only] => {
                let free = clients
                    .get(*only as usize)
                    .is_some_and(|c| !mapped_clients.contains(c.client_id.as_str()));
                free.then_some(*only)
            }
            _ => None,
        };
        if let Some(client) = auto {
            *claims.entry(client).or_default() += 1;
        }
        pending.push((id, found.ranked, auto));
    }

    for (id, ranked, auto) in pending {
        // Two tenants claiming the same client by domain is dirty data: let a person decide.
        let auto = auto.filter(|c| claims.get(c).copied() == Some(1));
        let mut suggestions: Vec<Suggestion> = Vec::with_capacity(ranked.len());
        let mut matched: Option<Suggestion> = None;
        for r in ranked {
            if Some(r.client) == auto
                && r.suggestion.reason == MatchReason::ExactDomain
                && matched.is_none()
            {
                matched = Some(r.suggestion);
            } else {
                suggestions.push(r.suggestion);
            }
        }
        match matched {
            Some(m) => out.auto_matched.push(AutoMatch {
                entra_tenant_id: id,
                suggestion: m,
            }),
            None if suggestions.is_empty() => out.unmatched.push(TenantRef {
                entra_tenant_id: id,
            }),
            None => {
                suggestions.sort_by(candidate_order);
                provisional.push((id, suggestions));
            }
        }
    }
    out.fuzzy_candidates = provisional
        .into_iter()
        .map(|(entra_tenant_id, candidates)| CandidateGroup {
            entra_tenant_id,
            candidates,
        })
        .collect();

    out.auto_matched
        .sort_by(|a, b| a.entra_tenant_id.cmp(&b.entra_tenant_id));
    out.fuzzy_candidates
        .sort_by(|a, b| a.entra_tenant_id.cmp(&b.entra_tenant_id));
    out.unmatched
        .sort_by(|a, b| a.entra_tenant_id.cmp(&b.entra_tenant_id));
    out.mapped
        .sort_by(|a, b| a.entra_tenant_id.cmp(&b.entra_tenant_id));
    out.skipped
        .sort_by(|a, b| a.entra_tenant_id.cmp(&b.entra_tenant_id));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(score: f64, reason: MatchReason, client_id: &str) -> RankKey<'_> {
        RankKey {
            pinned: false,
            exact_name: false,
            score,
            rank: reason_rank(reason),
            client_id,
            client: 0,
            offer: Offer {
                score,
                reason,
                exact_name: false,
                basis: Basis::Name {
                    label: None,
                    method: NameMethod::Tokens,
                    abbreviations: Vec::new(),
                },
            },
        }
    }

    #[test]
    fn top_k_keeps_the_order_of_a_full_sort() {
        let ids: Vec<String> = (0..60).map(|i| format!("c{:02}", (i * 37) % 60)).collect();
        let reasons = [
            MatchReason::FuzzyName,
            MatchReason::ExactDomain,
            MatchReason::SecondaryDomain,
        ];
        let all: Vec<(f64, MatchReason, &str)> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let score = [1.0, 0.88, 0.9, 0.88][i % 4];
                (score, reasons[i % 3], id.as_str())
            })
            .collect();
        let mut sorted: Vec<RankKey<'_>> = all.iter().map(|&(s, r, id)| key(s, r, id)).collect();
        sorted.sort();
        for k in [1, 2, 5, 17, 60, 100] {
            let got = top_k(all.iter().map(|&(s, r, id)| key(s, r, id)), k);
            let got: Vec<&str> = got.iter().map(|k| k.client_id).collect();
            let want: Vec<&str> = sorted.iter().take(k).map(|k| k.client_id).collect();
            assert_eq!(got, want, "k = {k}");
        }
    }

    #[test]
    fn many_identically_named_clients_keep_only_the_top_k_per_tenant() {
        // Every tenant reaches every client with the same score: only the ids break ties, and
        // each tenant keeps `topK` candidates, not one per client.
        let clients: Vec<Client> = (0..20_000)
            .map(|i| Client {
                client_id: format!("client-{:05}", 19_999 - i),
                client_name: Some("Contoso Dental".into()),
                domains: Vec::new(),
                secondary_domains: Vec::new(),
            })
            .collect();
        let tenants: Vec<ManagedTenant> = (0..8)
            .map(|i| {
                let mut t = ManagedTenant::new(format!("tenant-{i:03}"));
                t.display_name = Some("Contoso Dental".into());
                t
            })
            .collect();
        let input = PreviewInput {
            tenants,
            clients,
            mappings: Vec::new(),
            options: PreviewOptions::default(),
        };
        let out = preview_mappings(&input).unwrap();
        assert_eq!(out.fuzzy_candidates.len(), 8);
        let want: Vec<String> = (0..DEFAULT_TOP_K)
            .map(|i| format!("client-{i:05}"))
            .collect();
        for group in &out.fuzzy_candidates {
            let got: Vec<&str> = group
                .candidates
                .iter()
                .map(|c| c.client_id.as_str())
                .collect();
            assert_eq!(got, want, "{}", group.entra_tenant_id);
            assert!(group.candidates.iter().all(|c| c.score == 1.0));
        }
    }
}
