//! A blocking index over the clients, so a preview scores each tenant only against clients that
//! share a domain, a word (or a word one typo away), a joined spelling or an acronym with it,
//! instead of against every client.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hasher};

use super::domain::{evidence_of_host, normalize_domain};
use super::fuzzy::{
    PreparedName, TYPO_MAX_LEN, TYPO_MIN_LEN, cut_keys, overlap_score, token_similarity,
};
use super::names::token_weight;
use crate::model::Client;

/// Words longer than this many clients are skipped as blocking keys when the tenant has a rarer
/// word: such words (e.g. "services") cannot carry a match on their own.
const MAX_POSTING: usize = 5_000;

/// Whether `token` is reached through one-typo neighbours: the lengths [`token_similarity`]
/// gives typo credit for. The bound on length keeps [`deletion_keys`] (quadratic in the word's
/// length) small.
fn has_typo_neighbours(token: &str) -> bool {
    (TYPO_MIN_LEN..=TYPO_MAX_LEN).contains(&token.len())
}

/// One domain a client owns, reduced for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainHit {
    /// The client's position in the input.
    pub client: u32,
    /// The client's host as normalized (may be a subdomain of the registrable domain).
    pub host: String,
}

/// The clients, prepared once per preview.
pub struct ClientIndex {
    names: Vec<PreparedName>,
    primary: HashMap<String, Vec<DomainHit>>,
    secondary: HashMap<String, Vec<DomainHit>>,
    token_ids: HashMap<String, u32>,
    vocab: Vec<String>,
    postings: Vec<Vec<u32>>,
    deletions: HashMap<u64, Vec<u32>>,
    compact: HashMap<String, Vec<u32>>,
    acronyms: HashMap<String, Vec<u32>>,
    /// Clients by [`cut_keys`]: names that may agree through an abbreviated word.
    cuts: HashMap<u64, Vec<u32>>,
}

fn hash_without(bytes: &[u8], skip: Option<usize>) -> u64 {
    let mut hasher = DefaultHasher::new();
    match skip {
        Some(i) => {
            hasher.write(bytes.get(..i).unwrap_or_default());
            hasher.write(bytes.get(i + 1..).unwrap_or_default());
        }
        None => hasher.write(bytes),
    }
    hasher.write_u8(0xff);
    hasher.finish()
}

/// The full word and every one-deletion variant: two words one edit apart share a variant.
fn deletion_keys(token: &str) -> impl Iterator<Item = u64> + '_ {
    let bytes = token.as_bytes();
    std::iter::once(hash_without(bytes, None))
        .chain((0..bytes.len()).map(move |i| hash_without(bytes, Some(i))))
}

fn push_domain(map: &mut HashMap<String, Vec<DomainHit>>, raw: &str, client: u32) {
    let Some(host) = normalize_domain(raw) else {
        return;
    };
    let Some(registrable) = evidence_of_host(&host) else {
        return;
    };
    let hits = map.entry(registrable).or_default();
    // Clients are indexed in order, so a client's earlier hit on this domain can only be the
    // last one: constant time however many clients share the domain.
    if hits.last().is_none_or(|h| h.client != client) {
        hits.push(DomainHit { client, host });
    }
}

impl ClientIndex {
    /// Indexes `clients` (positions in this slice identify them in every answer).
    pub fn build(clients: &[Client]) -> Self {
        let mut index = ClientIndex {
            names: Vec::with_capacity(clients.len()),
            primary: HashMap::new(),
            secondary: HashMap::new(),
            token_ids: HashMap::new(),
            vocab: Vec::new(),
            postings: Vec::new(),
            deletions: HashMap::new(),
            compact: HashMap::new(),
            acronyms: HashMap::new(),
            cuts: HashMap::new(),
        };
        for (position, client) in clients.iter().enumerate() {
            let id = u32::try_from(position).unwrap_or(u32::MAX);
            for raw in &client.domains {
                push_domain(&mut index.primary, raw, id);
            }
            for raw in &client.secondary_domains {
                push_domain(&mut index.secondary, raw, id);
            }
            let name = PreparedName::new(client.client_name.as_deref().unwrap_or_default());
            index.add_name(&name, id);
            index.names.push(name);
        }
        index
    }

    fn add_name(&mut self, name: &PreparedName, id: u32) {
        for token in &name.name.tokens {
            let token_id = match self.token_ids.get(token) {
                Some(&t) => t,
                None => {
                    let t = u32::try_from(self.vocab.len()).unwrap_or(u32::MAX);
                    self.token_ids.insert(token.clone(), t);
                    self.vocab.push(token.clone());
                    self.postings.push(Vec::new());
                    if has_typo_neighbours(token) {
                        for key in deletion_keys(token) {
                            self.deletions.entry(key).or_default().push(t);
                        }
                    }
                    t
                }
            };
            if let Some(posting) = self.postings.get_mut(token_id as usize)
                && posting.last() != Some(&id)
            {
                posting.push(id);
            }
        }
        if !name.name.compact.is_empty() {
            push_unique(
                self.compact.entry(name.name.compact.clone()).or_default(),
                id,
            );
            if name.name.compact_with_suffixes != name.name.compact {
                push_unique(
                    self.compact
                        .entry(name.name.compact_with_suffixes.clone())
                        .or_default(),
                    id,
                );
            }
        }
        for acronym in &name.acronyms {
            push_unique(self.acronyms.entry(acronym.clone()).or_default(), id);
        }
        for key in cut_keys(&name.name) {
            push_unique(self.cuts.entry(key).or_default(), id);
        }
    }

    /// The prepared name of the client at `position`.
    pub fn name(&self, position: u32) -> Option<&PreparedName> {
        self.names.get(position as usize)
    }

    /// Clients owning `registrable` among their own domains.
    pub fn primary_hits(&self, registrable: &str) -> &[DomainHit] {
        self.primary.get(registrable).map_or(&[], Vec::as_slice)
    }

    /// Clients with `registrable` among their secondary domains.
    pub fn secondary_hits(&self, registrable: &str) -> &[DomainHit] {
        self.secondary.get(registrable).map_or(&[], Vec::as_slice)
    }

    fn posting(&self, token: &str) -> Option<&[u32]> {
        let id = *self.token_ids.get(token)?;
        self.postings.get(id as usize).map(Vec::as_slice)
    }

    /// Scratch space for [`ClientIndex::name_candidates`], sized for these clients.
    pub fn scratch(&self) -> Scratch {
        Scratch {
            matched: vec![0.0; self.names.len()],
            touched: Vec::new(),
        }
    }

    /// Clients worth scoring against a tenant's name and `*.onmicrosoft.com` labels, sorted
    /// and without repeats.
    ///
    /// Word matches are counted through the postings first; a client whose best possible word
    /// score stays below `threshold` is not returned unless it shares a joined spelling, an
    /// acronym or a label with the tenant.
    pub fn name_candidates(
        &self,
        name: &PreparedName,
        labels: &[String],
        threshold: f64,
        scratch: &mut Scratch,
    ) -> Vec<u32> {
        // Each posting with the weight a client on it gains at most.
        let mut lists: Vec<(&[u32], f64)> = Vec::new();
        for (token, weight) in name.weighted_tokens() {
            if let Some(list) = self.posting(token) {
                lists.push((list, weight));
            }
            if has_typo_neighbours(token) {
                self.push_typo_neighbours(token, weight, &mut lists);
            }
        }
        let rarest = lists.iter().map(|(l, _)| l.len()).min().unwrap_or(0);
        let mut skipped = 0.0;
        for (list, credit) in &lists {
            if list.len() > MAX_POSTING && list.len() != rarest {
                skipped += credit;
                continue;
            }
            for &client in *list {
                if let Some(slot) = scratch.matched.get_mut(client as usize) {
                    if *slot == 0.0 {
                        scratch.touched.push(client);
                    }
                    *slot += credit;
                }
            }
        }
        let mut out: Vec<u32> = Vec::new();
        for &client in &scratch.touched {
            let Some(slot) = scratch.matched.get_mut(client as usize) else {
                continue;
            };
            let matched = *slot + skipped;
            *slot = 0.0;
            let reachable = self.names.get(client as usize).is_some_and(|c| {
                overlap_score(matched, name.total(), c.total()) >= threshold - 1e-9
            });
            if reachable {
                out.push(client);
            }
        }
        scratch.touched.clear();

        let compact = &name.name.compact;
        if !compact.is_empty() {
            out.extend(self.compact.get(compact).into_iter().flatten().copied());
            if name.name.tokens.len() == 1 {
                out.extend(self.acronyms.get(compact).into_iter().flatten().copied());
            }
        }
        for acronym in &name.acronyms {
            if let Some(list) = self.posting(acronym) {
                out.extend(list.iter().copied());
            }
        }
        for label in labels {
            out.extend(self.compact.get(label).into_iter().flatten().copied());
        }
        for key in cut_keys(&name.name) {
            out.extend(self.cuts.get(&key).into_iter().flatten().copied());
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    fn push_typo_neighbours<'a>(
        &'a self,
        token: &str,
        weight: f64,
        lists: &mut Vec<(&'a [u32], f64)>,
    ) {
        let mut neighbours: Vec<u32> = deletion_keys(token)
            .filter_map(|key| self.deletions.get(&key))
            .flatten()
            .copied()
            .collect();
        neighbours.sort_unstable();
        neighbours.dedup();
        for id in neighbours {
            let Some(word) = self.vocab.get(id as usize) else {
                continue;
            };
            if word == token {
                continue;
            }
            let sim = token_similarity(token, word);
            if sim > 0.0
                && let Some(list) = self.postings.get(id as usize)
            {
                lists.push((list, sim * weight.max(token_weight(word))));
            }
        }
    }
}

/// Per-preview working memory of [`ClientIndex::name_candidates`]: the matched weight of each
/// client for the current tenant, and which clients were touched.
pub struct Scratch {
    matched: Vec<f64>,
    touched: Vec<u32>,
}

fn push_unique(list: &mut Vec<u32>, id: u32) {
    if list.last() != Some(&id) {
        list.push(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(id: &str, name: &str, domains: &[&str]) -> Client {
        Client {
            client_id: id.into(),
            client_name: Some(name.into()),
            domains: domains.iter().map(|d| d.to_string()).collect(),
            secondary_domains: vec!["billing@gmail.com".into()],
        }
    }

    #[test]
    fn blocks_on_words_typos_joined_spellings_and_acronyms() {
        let clients = vec![
            client("c0", "Contoso Pharma", &["https://portal.contoso.com"]),
            client("c1", "Fabrikam", &[]),
            client("c2", "International Business Machines", &[]),
            client("c3", "Micro Soft", &[]),
            client("c4", "Unrelated Bakery", &[]),
        ];
        let index = ClientIndex::build(&clients);
        let mut scratch = index.scratch();
        let mut cands =
            |name: &str| index.name_candidates(&PreparedName::new(name), &[], 0.5, &mut scratch);
        assert_eq!(cands("Contoso"), vec![0]);
        assert_eq!(cands("Contosso Pharma"), vec![0]);
        assert!(cands("Contosso Labs").is_empty());
        assert_eq!(cands("IBM"), vec![2]);
        assert_eq!(cands("Microsoft"), vec![3]);
        assert!(cands("Northwind").is_empty());
        // Sharing only "pharma" with a two-word client cannot reach 0.75.
        let mut scratch = index.scratch();
        let name = PreparedName::new("Zenith Pharma");
        assert!(
            index
                .name_candidates(&name, &[], 0.75, &mut scratch)
                .is_empty()
        );
        assert_eq!(
            index.name_candidates(&name, &[], 0.4, &mut scratch),
            vec![0]
        );
        assert_eq!(
            index.name_candidates(
                &PreparedName::new(""),
                &["fabrikam".into()],
                0.5,
                &mut index.scratch()
            ),
            vec![1]
        );
        assert_eq!(index.primary_hits("contoso.com").len(), 1);
        assert_eq!(
            index.primary_hits("contoso.com")[0].host,
            "portal.contoso.com"
        );
        assert!(index.secondary_hits("gmail.com").is_empty());
    }

    #[test]
    fn a_huge_one_word_client_name_is_indexed_without_quadratic_work() {
        // 300 KB in one word: hashing every one-deletion variant of it would take minutes.
        let word = "contoso".repeat(300_000 / 7);
        let clients = vec![
            client("c0", &word, &[]),
            client("c1", &format!("{word} {word}"), &[]),
            client("c2", "Contoso", &[]),
        ];
        let index = ClientIndex::build(&clients);
        let mut scratch = index.scratch();
        let found = index.name_candidates(&PreparedName::new(&word), &[], 0.5, &mut scratch);
        assert_eq!(found, vec![0, 1]);
    }

    #[test]
    fn many_clients_sharing_one_domain_are_indexed_without_quadratic_work() {
        let clients: Vec<Client> = (0..200_000)
            .map(|i| {
                client(
                    &format!("c{i}"),
                    "Contoso",
                    &["contoso.com", "https://portal.contoso.com"],
                )
            })
            .collect();
        let index = ClientIndex::build(&clients);
        let hits = index.primary_hits("contoso.com");
        assert_eq!(hits.len(), 200_000);
        assert!(hits.iter().all(|h| h.host == "contoso.com"));
        assert_eq!(hits.last().map(|h| h.client), Some(199_999));
    }
}
