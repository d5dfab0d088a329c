// Uses the whole public API with its declared types; `tsc --noEmit --strict` must accept it.
import * as es from 'entra-sync'
import type { Action, EntraUser, PlanInput, SyncPlan, PreviewOutput, FilterOutput, TokenSet, LogEvent } from 'entra-sync'

const users: EntraUser[] = [{ entraObjectId: 'a', accountEnabled: true, userPrincipalName: 'a@x.example', businessPhones: [] }]
const filtered: FilterOutput = es.filterUsers({ users, options: { includeGuests: false } })
const reason: string = filtered.excluded[0]?.reason ?? 'none'
es.validatePatterns({ patterns: ['^svc-'] })
const input: PlanInput = { entraTenantId: 't', clientId: 'c', users, listingComplete: true, contacts: [{ contactId: 'k', clientId: 'c' }], links: [] }
const plan: SyncPlan = es.planTenantSync(input)

function describe(action: Action): string {
  switch (action.kind) {
    case 'create':
      return `create ${action.contact.contactId}`
    case 'update':
      return `update ${action.contactId} ${Object.keys(action.patch).join(',')}`
    case 'link':
      return `link ${action.contactId} ${action.reason}`
    case 'queue_ambiguous':
      return `queue ${action.candidateContactIds.length}`
    case 'conflict':
      return `conflict ${action.reason}`
    case 'inactivate':
    case 'reactivate':
    case 'unlink':
      return `${action.kind} ${action.contactId}`
  }
}
const lines: string[] = plan.actions.map(describe)
// Fields every output always carries are required: each line fails to compile if one becomes
// optional again.
const created: number = plan.counters.created
const withheldCount: number = plan.counters.withheld + plan.withheld.length + plan.excluded.length + plan.warnings.length
const planTenant: string = plan.entraTenantId + plan.clientId
const digest: string | undefined = plan.inputDigest
const version: string = es.contactVersion({ contactId: 'k', clientId: 'c' })
const versionViaCall: string = es.call('contact_version', { contact: { contactId: 'k' } }).contactVersion
const metadataInput: PlanInput = { ...input, now: '2026-12-03T15:00:00Z', syncedBy: 'entra-sync:direct' }
const stamped: SyncPlan = es.planTenantSync(metadataInput)
const syncedBy: string | undefined = stamped.actions[0]?.contactSync?.lastSyncedBy
const linkStatus: es.LinkStatus | undefined = stamped.actions[0]?.linkSync?.status
const seen: boolean[] = (stamped.seen ?? []).map((s) => s.upstreamEnabled)
const stampedContact: es.StoredContact | undefined = es.applyPlan(metadataInput, stamped).contacts[0] as es.StoredContact | undefined
const syncReason: string | undefined = stampedContact?.syncStatus?.reason
const domainSource: es.DomainSource | undefined = ({ entraTenantId: 't', domainSource: 'tenant_information' } as es.ManagedTenant).domainSource
console.log(syncedBy, linkStatus, seen, syncReason, domainSource)
const closedAt: string | null | undefined = ({ entraTenantId: 't', state: 'mapped', closedAt: null } as es.TenantMapping).closedAt
console.log(created, withheldCount, planTenant, digest, version, versionViaCall, closedAt)
const after: PlanInput = es.applyPlan(input, plan)
const preview: PreviewOutput = es.previewMappings({ tenants: [{ entraTenantId: 't', domains: ['x.example'] }], clients: [{ clientId: 'c', domains: ['x.example'] }] })
const clientIndex = new es.ClientIndex([{ clientId: 'c', domains: ['x.example'] }], { threshold: 0.8, topK: 3 })
const indexed: PreviewOutput = clientIndex.preview({ tenants: [{ entraTenantId: 't', domains: ['x.example'] }], mappings: [] })
const indexedCount: number = clientIndex.size
const indexedAsync: Promise<PreviewOutput> = new es.ClientIndex(null).previewAsync({ tenants: [] })
console.log(indexed, indexedCount, indexedAsync)
const merged = es.mergeDiscovery({ listingComplete: true, known: [], listed: [{ entraTenantId: 't' }] })
const changes = es.planMappingChanges({ operations: [{ kind: 'confirm', entraTenantId: 't', clientId: 'c' }] })
const id: string = es.runId({ scope: 'tenant', trigger: 'manual', entraTenantId: 't', discriminator: { kind: 'request_key', key: 'k' } }, 2)
const viaCall: SyncPlan = es.call('plan_tenant_sync', input)
const names: string[] = es.functions()
const secret: string = es.SECRET_NAMES.ENTRA_DIRECT_REFRESH_TOKEN

async function main(): Promise<void> {
  const asyncPlan: SyncPlan = await es.planTenantSyncAsync(input)
  const asyncFilter = await es.filterUsersAsync({ users })
  const viaCallAsync = await es.callAsync('filter_users', { users })
  const sandbox = await es.Sandbox.start({ tenants: 2, cloud: 'us_gov_high', faults: { latency: 0.01, gdapUnavailable: true, dapOnly: [] } })
  const saved: TokenSet[] = []
  const graph = new es.GraphProvider(sandbox.graphSettings(), { onTokensRotated: async (t: TokenSet) => { saved.push(t) } })
  const cipp = new es.CippProvider(sandbox.cippSettings())
  const tenants = await graph.listManagedTenants()
  const listing = await cipp.listUsers(tenants.tenants[0]?.entraTenantId ?? 't')
  const listingComplete: boolean = tenants.complete && listing.complete
  const firstEmail: string | null | undefined = listing.users[0]?.email
  const delta = await graph.listUsersDelta('t', listing.complete ? null : undefined)
  const deltaLink: string | null = delta.deltaLink
  const removed: number = delta.removed.length + delta.users.length + (delta.resyncRequired ? 1 : 0) + (delta.fullEnumeration ? 1 : 0)
  const report = await graph.validate()
  const failing: string[] = report.checks.filter((c) => c.status === 'failed').map((c) => c.name)
  const reportOk: boolean = report.ok
  console.log(listingComplete, firstEmail, deltaLink, removed, failing, reportOk, tenants.warnings.length)
  const store: es.MemoryStore | es.SqliteStore = Math.random() > 0.5 ? new es.MemoryStore() : es.SqliteStore.inMemory()
  const engine = new es.SyncEngine(graph, store)
  await store.upsertClients(sandbox.crmClients())
  const discovery = await engine.discover()
  const mappingPreview = await engine.previewMappings({ threshold: 0.8 })
  await engine.applyMappingChanges([{ kind: 'skip', entraTenantId: 't' }])
  const controller = new AbortController()
  const run = await engine.syncAll({ dryRun: true, requestKey: 'k', trigger: 'scheduled', signal: controller.signal, onProgress: (e) => console.log(e.event === 'tenantFinished' ? e.totals.created : e.runId) })
  const record = await store.loadRun(run.run.runId)
  const runCounters: number = run.run.counters.created + run.run.tenantsTotal + run.run.startedAtMs
  const finishedAt: number | null = run.run.finishedAtMs
  const results: Array<string | null> = (await store.loadTenantResults(run.run.runId)).map((r) => r.error?.code ?? r.clientId)
  const queue: string[] = (await store.loadQueue()).flatMap((q) => q.candidateContactIds)
  const scoped = new es.SqliteStore('/tmp/shared.sqlite', 'acme')
  const account: string = scoped.accountId
  await scoped.saveSettingsOverrides({ syncEnabled: false, syncIntervalMinutes: 60 }, 't')
  const source: 'default' | 'account' | 'tenant' = (await scoped.resolveSyncSettings('t')).fields.syncEnabled.source
  const change = await scoped.connect('cipp')
  const toClear: string[] = change.secretsToClear
  const status: es.ConnectionStatus | undefined = (await scoped.connectionStatus()).active?.status
  const cippWrites: Record<string, string> = es.cippSecrets({ baseUrl: 'https://c', clientId: 'a', clientSecret: 'b', tenantId: 'c.com' }).secrets
  const clientRun = await engine.syncClient('c1', { requestKey: 'now' })
  const skipped: Array<string | null | undefined> = clientRun.results.filter((r) => r.outcome === 'skipped').map((r) => r.skipReason)
  const discovered = await engine.discoverRun({ requestKey: 'd' })
  const inserted: number | undefined = discovered.run.discovery?.inserted
  console.log(account, source, toClear, status, cippWrites, skipped, inserted, clientRun.run.tenantsSkipped)
  const merged2: number = discovery.merge.insert.length + (discovery.merge.insert[0]?.domains.length ?? 0)
  const changed = await engine.applyMappingChanges([{ kind: 'unmap', entraTenantId: 't' }])
  const closed: string | null | undefined = changed.changes[0]?.closed?.closedAt
  const previous: string | null | undefined = changed.changes[0]?.previousClientId
  console.log(runCounters, finishedAt, results, queue, merged2, closed, previous)
  const tenantReport = await engine.syncTenant({ entraTenantId: 't', state: 'mapped', clientId: 'c' }, { useDelta: false })
  sandbox.updateFaults({ graphThrottleNext: 2 })
  sandbox.mutate({ kind: 'disable', userId: 'u' })
  const firstTenant: string = sandbox.tenants()[0]?.defaultDomain ?? sandbox.partnerTenant().tenantId
  console.log(firstTenant)
  const requests: number = sandbox.requestCount('/v1.0/users') + (sandbox.requestCounts()['/api/ListTenants'] ?? 0)
  sandbox.resetRequestCounts()
  sandbox.revokeAccessTokens()
  console.log(requests)
  await sandbox.shutdown()
  const start = es.authorizeUrl({ clientId: 'x', redirectUri: 'https://host/cb' }, 'k'.repeat(32), 'ht', 'hu')
  const claims = await es.verifyState(start.state, 'k'.repeat(32), 'ht', 'hu', 'https://host/cb', { ttl: 60, consumeNonce: () => true })
  const tokens: TokenSet = await es.exchangeCode({ clientId: 'x' }, 'code', start.codeVerifier)
  await es.refreshTokens({ clientId: 'x' }, tokens.refreshToken ?? '')
  es.setLogger((e: LogEvent) => console.log(e.level, e.message, e.context))
  es.setLogger({ info: (m) => console.log(m), warn: console.warn, error: console.error }, { level: 'warn' })
  try {
    es.call('filter_users', { users })
  } catch (e) {
    if (e instanceof es.ConsentRequired || e instanceof es.EntraSyncError) {
      const code: string = e.code
      console.log(code, e.details, e.message)
    }
  }
  console.log(asyncPlan, asyncFilter, viaCallAsync, delta, report, discovery, mappingPreview, record, tenantReport, claims)
}

console.log(reason, lines, after, preview, merged, changes, id, viaCall, names, secret, main)

// Licence summary and group scope.
const licences = es.summarizeLicenses({ subscribedSkus: [{ skuId: 's', skuPartNumber: 'SPB' }], users: [] })
const reclaimable: number = licences.skus[0].reclaimable
const licencesViaCall: Array<string> = es.call('summarize_licenses', { users: [] }).users.map((u) => u.skuPartNumbers[0])
const scoped: es.FilterOutput = es.filterUsers({
  users: [],
  options: { includeGroupIds: ['g1'], excludeGroupIds: [] },
  groupMemberships: [{ groupId: 'g1', memberIds: [], status: 'incomplete' }],
})
const scopeReason: es.ExclusionReason = 'group_scope_unknown'
void [reclaimable, licencesViaCall, scoped, scopeReason]
