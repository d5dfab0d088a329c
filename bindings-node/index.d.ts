// Types of the npm package `entra-sync`: every contract record (camelCase keys, snake_case enum
// values, as in docs/contract.md) and the package's API. Unknown keys are ignored on input; a
// missing required key is an `InvalidInput` error naming the field.

export interface EntraUser {
  entraObjectId: string
  accountEnabled: boolean
  entraTenantId?: string
  userPrincipalName?: string | null
  email?: string | null
  mail?: string | null
  otherMails?: Array<string>
  proxyAddresses?: Array<string>
  displayName?: string | null
  givenName?: string | null
  surname?: string | null
  userType?: string | null
  jobTitle?: string | null
  mobilePhone?: string | null
  businessPhones?: Array<string>
  assignedLicenseSkuIds?: Array<string>
}

/** A user as the core writes it (provider listings, the sandbox's expected users): every key
 * present, `null` for an absent value, `email` (never Graph's `mail`). */
export type ListedUser = Required<Omit<EntraUser, 'mail'>>

export type PhoneType = 'work' | 'mobile' | 'other'

export interface PhoneNumber {
  number: string
  type?: PhoneType
}

export type InactiveSource = 'entra_sync' | 'other'

export interface Contact {
  contactId: string
  clientId?: string | null
  email?: string | null
  additionalEmails?: Array<string>
  fullName?: string | null
  role?: string | null
  phoneNumbers?: Array<PhoneNumber>
  userPrincipalName?: string | null
  isInactive?: boolean
  inactiveSource?: InactiveSource | null
  locked?: boolean
  /** Sync metadata (docs/contract.md): the `syncedBy` of the last plan that changed the contact. */
  lastSyncedBy?: string
  /** Sync metadata: the `now` of that plan. */
  lastSyncedAt?: string
  /** Sync metadata: the linked user's `accountEnabled` in the last listing. */
  upstreamEnabled?: boolean
  /** Sync metadata: what sync last did to the contact, and why. */
  syncStatus?: SyncStatus
}

/** `inactivated` with reason `disabled_upstream` / `deleted_upstream`, or `active` with the
 * reason of the link, create or reactivation. */
export interface SyncStatus {
  status: 'active' | 'inactivated'
  reason?: string
}

/** The sync metadata keys, left out when unset (never `null`). */
type ContactSyncKeys = 'lastSyncedBy' | 'lastSyncedAt' | 'upstreamEnabled' | 'syncStatus'

/** A contact as the core writes it (a `create` action's contact, `applyPlan`'s contacts): every
 * key present, `null` for an absent value, except the sync metadata, left out when unset. */
export type StoredContact = Required<Omit<Contact, 'phoneNumbers' | ContactSyncKeys>> & {
  phoneNumbers: Array<Required<PhoneNumber>>
} & Pick<Contact, ContactSyncKeys>

export type LinkStatus = 'active' | 'closed'

export interface ContactLink {
  entraTenantId: string
  entraObjectId: string
  contactId: string
  clientId?: string | null
  active?: boolean
  /** Sync metadata: when a listing last showed the identity (a touch, never a change). */
  lastSeenAt?: string
  /** Sync metadata: when a plan last opened, closed or acted through the link. */
  lastSyncedAt?: string
  /** Sync metadata: `active` or `closed`, as `applyPlan` last wrote it. */
  status?: LinkStatus
}

export type ResolutionDecision = 'link_existing' | 'create_new' | 'dismissed'

export interface Resolution {
  entraObjectId: string
  decision: ResolutionDecision
  contactId?: string | null
}

export interface Warning {
  code: string
  message: string
}

export interface FieldSync {
  displayName?: boolean
  email?: boolean
  phone?: boolean
  jobTitle?: boolean
  upn?: boolean
}

export interface FilterOptions {
  customExclusionPatterns?: Array<string>
  includeGuests?: boolean
  licensedOnly?: boolean
  /** Group object ids: when not empty, only their transitive members are synced. */
  includeGroupIds?: Array<string>
  /** Group object ids whose transitive members are never synced (exclusion wins). */
  excludeGroupIds?: Array<string>
}

export interface MassInactivation {
  maxShare?: number
  minCount?: number
}

export interface SyncSettings {
  fieldSync?: FieldSync
  markInactiveWhenDisabled?: boolean
  reactivateWhenEnabled?: boolean
  filter?: FilterOptions
  massInactivation?: MassInactivation
  allowMassInactivation?: boolean
  /** A linked user leaving the group scope: off (default) closes the link and leaves the
   * contact as it is; on also inactivates the contact (only when every group listing is complete). */
  inactivateWhenLeavingGroupScope?: boolean
  /** Off: runs record the tenant as skipped (`skipReason: 'sync_disabled'`). Default true. */
  syncEnabled?: boolean
  /** The host's recurring-sync interval, 5..=10080 minutes. Default 1440. */
  syncIntervalMinutes?: number
}

/** One settings layer (account-wide defaults or a tenant's overrides): absent keys inherit. */
export type SettingsOverrides = SyncSettings

export type SettingSource = 'default' | 'account' | 'tenant'

export interface ResolvedSetting {
  value: Json
  source: SettingSource
}

export interface ResolvedSettings {
  effective: SyncSettings
  fields: { [field: string]: ResolvedSetting }
}

export type ConnectionStatus = 'connected' | 'disconnected' | 'validation_failed'

export interface AccountConnection {
  connectionId: string
  connectionType: 'direct' | 'cipp'
  status: ConnectionStatus
  connectedAt: string | null
  disconnectedAt: string | null
  lastValidatedAt: string | null
  lastValidation: { [key: string]: Json } | null
}

/** `secretsToClear`: canonical secret names the host deletes from its vault. */
export interface ConnectionChange {
  connection: AccountConnection | null
  secretsToClear: Array<string>
}

export interface ConnectionStatusReport {
  active: AccountConnection | null
  history: Array<AccountConnection>
}

export interface CippSettingsInput {
  baseUrl: string
  clientId: string
  clientSecret: string
  tenantId: string
}

export interface CippSecrets {
  secrets: { [name: string]: string }
}

export type ExclusionReason =
  | 'account_disabled'
  | 'missing_identity'
  | 'guest'
  | 'unlicensed'
  | 'service_account'
  | 'tenant_custom_pattern'
  | 'not_in_included_group'
  | 'in_excluded_group'
  | 'group_scope_unknown'

/** One group's transitive member ids, as a provider listed them. */
export interface GroupMembership {
  groupId: string
  memberIds?: Array<string>
  /** Required: absence from a listing that is not `complete` means nothing. */
  status: 'complete' | 'incomplete' | 'not_found'
}

export interface FilterInput {
  users: Array<EntraUser>
  options?: FilterOptions
  groupMemberships?: Array<GroupMembership>
}

export interface ExcludedUser {
  user: EntraUser
  reason: ExclusionReason
  pattern?: string
}

export interface FilterOutput {
  included: Array<EntraUser>
  excluded: Array<ExcludedUser>
  /** Why the group scope could not place some users; left out when there is none. */
  warnings?: Array<Warning>
}

export interface PlanInput {
  entraTenantId: string
  clientId: string
  users: Array<EntraUser>
  listingComplete: boolean
  contacts: Array<Contact>
  links: Array<ContactLink>
  removedObjectIds?: Array<string>
  resolutions?: Array<Resolution>
  settings?: SyncSettings
  /** The time stamped as `lastSyncedAt` / `lastSeenAt` (RFC 3339 recommended); the core reads no
   * clock, so without it the timestamps stay unset. */
  now?: string
  /** Stamped as `lastSyncedBy`; `entra-sync` when omitted (the engine passes
   * `entra-sync:<connection type>`). */
  syncedBy?: string
  groupMemberships?: Array<GroupMembership>
}

export type ActionKind = Action['kind']

/** Sync metadata an action writes on its contact (not part of the idempotency key). */
export interface ContactSyncMetadata {
  lastSyncedBy: string
  lastSyncedAt?: string
  /** Absent for an identity that is not listed (deleted). */
  upstreamEnabled?: boolean
  /** Absent for an `update`, which leaves the status as it was. */
  syncStatus?: SyncStatus
}

/** Sync metadata an action writes on the identity's link (not part of the idempotency key). */
export interface LinkSyncMetadata {
  /** `closed` for a `deleted_upstream` inactivation, otherwise `active`. */
  status: LinkStatus
  lastSyncedAt?: string
  /** Absent for a deleted identity. */
  lastSeenAt?: string
}

/** What every action carries. */
interface ActionBase {
  entraTenantId: string
  entraObjectId: string
  clientId: string
  idempotencyKey: string
  /** On `link`, `create`, `update`, `inactivate` and `reactivate`; left out for a locked contact. */
  contactSync?: ContactSyncMetadata
  /** On `link`, `create`, `update`, `inactivate` and `reactivate`. */
  linkSync?: LinkSyncMetadata
}

export interface ContactPatch {
  fullName?: string
  email?: string
  additionalEmails?: Array<string>
  role?: string
  phoneNumbers?: Array<PhoneNumber>
  userPrincipalName?: string
}

/** Link the identity to an existing contact of the mapped client. */
export interface LinkAction extends ActionBase {
  kind: 'link'
  contactId: string
  reason: 'email_match' | 'alias_match' | 'resolution'
  contactVersion?: string
}

/** Create `contact` under the mapped client and link the identity to it. */
export interface CreateAction extends ActionBase {
  kind: 'create'
  contactId: string
  contact: StoredContact
  reason: 'no_match' | 'resolution'
}

/** Apply `patch` to the linked contact. */
export interface UpdateAction extends ActionBase {
  kind: 'update'
  contactId: string
  patch: ContactPatch
  reason: 'fields_changed'
  contactVersion?: string
}

/** Several plausible contacts: an operator must choose. */
export interface QueueAmbiguousAction extends ActionBase {
  kind: 'queue_ambiguous'
  candidateContactIds: Array<string>
  reason: 'multiple_candidates'
  displayName?: string
  userPrincipalName?: string
}

/** Sync cannot proceed safely for this identity; nothing is written. */
export interface ConflictAction extends ActionBase {
  kind: 'conflict'
  reason: string
  contactIds?: Array<string>
  displayName?: string
  userPrincipalName?: string
}

/** Mark the contact inactive (source `entra_sync`). */
export interface InactivateAction extends ActionBase {
  kind: 'inactivate'
  contactId: string
  reason: 'disabled_upstream' | 'deleted_upstream' | 'left_group_scope'
  contactVersion?: string
}

/** Close the identity's link and leave the contact as it is (the user left the group scope). */
export interface UnlinkAction extends ActionBase {
  kind: 'unlink'
  contactId: string
  reason: 'left_group_scope'
  contactVersion?: string
}

/** Mark a contact that sync inactivated active again. */
export interface ReactivateAction extends ActionBase {
  kind: 'reactivate'
  contactId: string
  reason: 'enabled_upstream'
  contactVersion?: string
}

/** One step of a plan, discriminated by `kind`. */
export type Action =
  | LinkAction
  | CreateAction
  | UpdateAction
  | QueueAmbiguousAction
  | ConflictAction
  | InactivateAction
  | ReactivateAction
  | UnlinkAction

/** Output records below list as required every field the core always writes. */
export interface Counters {
  created: number
  linked: number
  updated: number
  unchanged: number
  ambiguous: number
  conflicts: number
  inactivated: number
  reactivated: number
  excluded: number
  withheld: number
  unlinked: number
}

export interface SyncPlan {
  entraTenantId: string
  clientId: string
  /** Left out when the plan was built without one. */
  inputDigest?: string
  actions: Array<Action>
  withheld: Array<Action>
  excluded: Array<ExcludedUser>
  counters: Counters
  warnings: Array<Warning>
  /** The input's `now`: when the identities of `seen` were seen. */
  seenAt?: string
  /** Every listed identity with an active link: touches, never changes (left out when empty). */
  seen?: Array<SeenIdentity>
}

/** A listed identity with an active link: its link's `lastSeenAt` becomes `seenAt`, its
 * contact's `upstreamEnabled` this value; never counted as a change. */
export interface SeenIdentity {
  entraObjectId: string
  contactId: string
  upstreamEnabled: boolean
}

export interface ApplyPlanInput {
  input: PlanInput
  plan: SyncPlan
}

export type TenantStatus = 'active' | 'not_listed'

export interface ManagedTenant {
  entraTenantId: string
  displayName?: string | null
  primaryDomain?: string | null
  domains?: Array<string>
  sourceUserCount?: number | null
  status?: TenantStatus
  healthNote?: string
  /** Where the domains came from; left out when unknown. */
  domainSource?: DomainSource
}

/** `tenant_information`: the partner-side `findTenantInformationByTenantId`, used when the
 * customer's own domains cannot be read yet (no consent, no role). */
export type DomainSource = 'tenant_domains' | 'tenant_information' | 'lighthouse' | 'contract' | 'cipp'

/** A tenant as the core writes it (listings, discovery, the store): every key present except
 * `healthNote` and `domainSource`, which are left out when there is none. */
export type ListedTenant = Required<Omit<ManagedTenant, 'healthNote' | 'domainSource'>> & {
  healthNote?: string
  domainSource?: DomainSource
}

export interface Client {
  clientId: string
  clientName?: string | null
  domains?: Array<string>
  secondaryDomains?: Array<string>
}

export type MappingState = 'mapped' | 'skipped'

export interface TenantMapping {
  entraTenantId: string
  state: MappingState
  clientId?: string | null
  confirmedAt?: string | null
  /** When the mapping was closed (a remap or unmap); absent on open rows. */
  closedAt?: string | null
}

export type ConnectionType = 'direct' | 'cipp'

export interface MergeDiscoveryInput {
  listingComplete: boolean
  known?: Array<ManagedTenant>
  listed?: Array<ManagedTenant>
}

export interface MergeDiscoveryOutput {
  insert: Array<ListedTenant>
  update: Array<ListedTenant>
  unchanged: Array<ListedTenant>
  notListed: Array<ListedTenant>
  warnings: Array<Warning>
}

export interface PreviewOptions {
  threshold?: number
  topK?: number
}

export interface PreviewInput {
  tenants: Array<ManagedTenant>
  clients: Array<Client>
  mappings?: Array<TenantMapping>
  options?: PreviewOptions
}

export type MatchReason = 'exact_domain' | 'secondary_domain' | 'fuzzy_name'

export interface AbbreviationUse {
  tenantWord: string
  clientWord: string
  rule: 'table' | 'prefix'
}

export interface Evidence {
  tenantDomain?: string
  clientDomain?: string
  tenantName?: string
  clientName?: string
  method?: string
  exactName?: boolean
  abbreviations?: Array<AbbreviationUse>
}

export interface Suggestion {
  clientId: string
  score: number
  reason: MatchReason
  matchedDomain?: string
  evidence?: Evidence
}

export interface AutoMatch {
  entraTenantId: string
  match: Suggestion
}

export interface CandidateGroup {
  entraTenantId: string
  candidates: Array<Suggestion>
}

export interface TenantRef {
  entraTenantId: string
}

export interface MappedRef {
  entraTenantId: string
  clientId: string
}

export interface PreviewOutput {
  autoMatched: Array<AutoMatch>
  fuzzyCandidates: Array<CandidateGroup>
  unmatched: Array<TenantRef>
  mapped: Array<MappedRef>
  skipped: Array<TenantRef>
}

export interface ConfirmOperation {
  kind: 'confirm'
  entraTenantId: string
  clientId: string
}

export interface SkipOperation {
  kind: 'skip'
  entraTenantId: string
}

export interface RemapOperation {
  kind: 'remap'
  entraTenantId: string
  fromClientId: string
  toClientId: string
}

export interface UnmapOperation {
  kind: 'unmap'
  entraTenantId: string
}

export type MappingOperation = ConfirmOperation | SkipOperation | RemapOperation | UnmapOperation

export interface MappingChangesInput {
  operations: Array<MappingOperation>
  mappings?: Array<TenantMapping>
  now?: string | null
}

export interface MappingChange {
  kind: 'confirm' | 'skip' | 'remap' | 'unmap'
  entraTenantId: string
  clientId: string | null
  previousClientId: string | null
  fromClientId?: string
  toClientId?: string
  closed: TenantMapping | null
  opened: TenantMapping | null
}

export interface MappingChangesOutput {
  changes: Array<MappingChange>
  warnings: Array<Warning>
}

export interface ValidatePatternsInput {
  patterns: Array<string>
}

export interface ValidatePatternsOutput {
  valid: boolean
  count: number
}

export interface ProviderErrorInfo {
  code: string
  message: string
  status?: number
  requestId?: string
  date?: string
  upstreamCode?: string
}

export interface TenantListing {
  tenants: Array<ListedTenant>
  complete: boolean
  warnings: Array<Warning>
}

export interface UserListing {
  users: Array<ListedUser>
  complete: boolean
  /** Why the listing is incomplete; absent on a complete one. */
  error?: ProviderErrorInfo
  /** Left out when empty. */
  warnings?: Array<Warning>
}

export interface RemovedUser {
  entraObjectId: string
  reason: 'changed' | 'deleted'
}

export interface DeltaListing {
  users: Array<ListedUser>
  removed: Array<RemovedUser>
  deltaLink: string | null
  resyncRequired: boolean
  fullEnumeration: boolean
  complete: boolean
  /** Left out when empty. */
  warnings?: Array<Warning>
}

export interface ValidationCheck {
  name: string
  status: 'passed' | 'failed' | 'skipped'
  /** For a failed check. */
  errorCode?: string
  message?: string
}

export interface ValidationReport {
  ok: boolean
  checks: Array<ValidationCheck>
}

export interface TokenSet {
  accessToken: string
  refreshToken: string | null
  expiresAt: number
  scope: string | null
}

export interface SignInSettings {
  clientId: string
  clientSecret?: string
  authority?: string
  redirectUri?: string
  scopes?: Array<string>
  prompt?: string
  cloud?: 'global' | 'us_gov_high' | 'us_gov_dod' | 'china'
  loginBase?: string
  graphBase?: string
  graphResource?: string
  policy?: HttpPolicy
}

export interface StateClaims {
  tenant: string
  user: string
  nonce: string
  issuedAt: number
  redirectUri: string
}

export interface AuthorizationStart {
  url: string
  state: string
  claims: StateClaims
  codeVerifier: string
}

export interface HttpPolicy {
  connectTimeout?: number
  requestTimeout?: number
  maxRetries?: number
  baseDelay?: number
  maxDelay?: number
  maxTotalWait?: number
  maxPages?: number
  retryBadGateway?: boolean
}

export interface GraphSettings {
  clientId: string
  clientSecret: string
  partnerTenantId: string
  refreshToken?: string
  accessToken?: string
  expiresAt?: number
  scope?: string
  cloud?: 'global' | 'us_gov_high' | 'us_gov_dod' | 'china'
  loginBase?: string
  graphBase?: string
  graphResource?: string
  customerGrant?: 'partner_refresh_token' | 'client_credentials'
  enrichFromRelationships?: boolean
  includeLighthouse?: boolean
  includeDomains?: boolean
  /** Legacy DAP contracts: customers GDAP does not list are listed with a warning (default on). */
  includeContracts?: boolean
  /** `sourceUserCount` from `/users/$count`; left `null` where the token may not count (default on). */
  includeUserCounts?: boolean
  customersPageSize?: number
  usersPageSize?: number
  policy?: HttpPolicy
}

export interface CippSettings {
  baseUrl: string
  tenantId?: string
  clientId?: string
  clientSecret?: string
  apiToken?: string
  loginBase?: string
  partnerTenantId?: string
  graphHost?: string
  pageSize?: number
  policy?: HttpPolicy
}

export interface SandboxFaults {
  latency?: number
  latencyJitter?: number
  graphThrottleRate?: number
  graphThrottleNext?: number
  retryAfterSecs?: number
  omitRetryAfter?: boolean
  graphUnavailableRate?: number
  graphUnavailableNext?: number
  unavailableRetryAfterSecs?: number | null
  cippGatewayErrorRate?: number
  cippGatewayErrorNext?: number
  cippGatewayStatus?: number
  tokenErrors?: Record<string, 'consent_missing' | 'user_not_in_tenant' | 'mfa_required' | 'conditional_access' | 'refresh_token_expired' | 'client_secret_expired'>
  gdapRoleMissing?: Array<string>
  failingPage?: Record<string, number>
  failingPageStatus?: number
  /** Per tenant, a fault on one page of the Graph user listing and of every delta round. */
  pageFaults?: Record<string, SandboxPageFault>
  /** Seconds a `stall` page waits before it is answered. */
  pageStall?: number
  /** Per group id, the zero-based page of its transitive member listing that fails. */
  failingGroupPage?: Record<string, number>
  delta?: 'none' | 'expired' | 'gone'
  cippDenial?: 'role_lacks_permission' | 'ip_not_allowed' | 'tenant_not_allowed' | 'subscription_ended' | null
  cippTenantsErrorRow?: boolean
  cippTenantsNullRow?: boolean
  cippPartnerRow?: boolean
  authorizeDenied?: boolean
  oneTimeRefreshTokens?: boolean
  gdapUnavailable?: boolean
  lighthouseUnavailable?: boolean
  contractsUnavailable?: boolean
  tenantInformationUnavailable?: boolean
  domainsDenied?: Array<string>
  userCountDenied?: Array<string>
  dapOnly?: Array<string>
}

export interface SandboxPageFault {
  page: number
  kind: 'connection_reset' | 'stall' | 'malformed_json' | 'foreign_next_link' | 'repeated_next_link' | 'token_expired' | 'missing_account_enabled'
  /** Strikes before the page is served normally; 0 (default) strikes every time. */
  times?: number
}

export interface SandboxConfig {
  seed?: number
  tenants?: number
  usersPerTenant?: number
  crmClients?: number
  defaultPageSize?: number
  deltaPageSize?: number
  tokenLifetime?: number
  redirectUris?: Array<string>
  faults?: SandboxFaults
  /** The national cloud the sandbox plays (tokens for its Graph resource, only its APIs). */
  cloud?: 'global' | 'us_gov_high' | 'us_gov_dod' | 'china'
}

export interface SandboxCredentials {
  clientId: string
  clientSecret: string
  partnerTenantId: string
  partnerRefreshToken: string
  cippTenantId: string
  cippClientId: string
  cippClientSecret: string
}

export interface SandboxTenant {
  tenantId: string
  displayName: string
  defaultDomain: string
  initialDomain: string
  domains: Array<string>
  unverifiedDomains: Array<string>
  lighthouse: boolean
  dapContract: boolean
  directorySync: boolean
  crmClientId: string | null
  crmMatch: 'exact_domain' | 'other_verified_domain' | 'secondary_domain' | 'fuzzy_name' | 'none'
  created: number
}

export interface SandboxMutation {
  kind?: string
  userId?: string
  tenantId?: string
  displayName?: string
  givenName?: string | null
  surname?: string | null
  email?: string
  address?: string
  jobTitle?: string | null
  accountEnabled?: boolean
}

export type RunScope = 'all_tenants' | 'tenant' | 'discovery' | 'client'

export type RunTrigger = 'initial' | 'manual' | 'scheduled'

export interface RequestKeyDiscriminator {
  kind: 'request_key'
  key: string
}

export interface TimeBucketDiscriminator {
  kind: 'time_bucket'
  unixSeconds: number
  bucketSeconds: number
}

export interface RunKey {
  scope: RunScope
  trigger: RunTrigger
  discriminator: RequestKeyDiscriminator | TimeBucketDiscriminator
  entraTenantId?: string | null
  clientId?: string | null
}

export type RunStatus = 'running' | 'completed' | 'partial' | 'failed' | 'cancelled'

export interface DiscoveryReport {
  listingComplete: boolean
  merge: MergeDiscoveryOutput
  warnings: Array<Warning>
}

export interface TenantSyncReport {
  entraTenantId: string
  clientId: string
  mode: 'full' | 'delta'
  listingComplete: boolean
  usersListed: number
  applied: boolean
  plan: SyncPlan
  warnings: Array<Warning>
  durationMs: number
  /** Made from a full, complete listing and the subscribed SKUs; absent otherwise. */
  licenseSummary?: LicenseSummary
}

export interface FailureInfo {
  code: string
  message: string
}

export interface RunRecord {
  runId: string
  scope: RunScope
  trigger: RunTrigger
  entraTenantId: string | null
  status: RunStatus
  startedAtMs: number
  finishedAtMs: number | null
  heartbeatAtMs: number | null
  tenantsTotal: number
  tenantsSucceeded: number
  tenantsFailed: number
  counters: Counters
  clientId?: string | null
  tenantsSkipped: number
  error?: FailureInfo | null
  discovery?: DiscoverySummary | null
}

export interface DiscoverySummary {
  listingComplete: boolean
  inserted: number
  updated: number
  notListed: number
  unchanged: number
}

export interface DiscoveryRunReport {
  run: RunRecord
  report: DiscoveryReport | null
  joined: boolean
}

export interface TenantRunResult {
  runId: string
  entraTenantId: string
  clientId: string | null
  outcome: 'succeeded' | 'failed' | 'skipped'
  mode: 'full' | 'delta' | null
  listingComplete: boolean
  dryRun: boolean
  counters: Counters
  warnings: Array<Warning>
  error: FailureInfo | null
  durationMs: number
  finishedAtMs: number
  /** The tenant's licence summary of this run, when one was made. */
  licenseSummary?: LicenseSummary
  skipReason?: string | null
}

export interface RunReport {
  run: RunRecord
  results: Array<TenantRunResult>
  plans: Array<SyncPlan>
  joined: boolean
  dryRun: boolean
}

export interface RunStartedEvent {
  event: 'runStarted'
  runId: string
  tenantsTotal: number
  tenantsAlreadyDone: number
}

export interface TenantStartedEvent {
  event: 'tenantStarted'
  runId: string
  entraTenantId: string
}

export interface TenantFinishedEvent {
  event: 'tenantFinished'
  runId: string
  entraTenantId: string
  outcome: 'succeeded' | 'failed' | 'skipped'
  counters: Counters
  totals: Counters
  tenantsDone: number
  tenantsTotal: number
}

export interface RunFinishedEvent {
  event: 'runFinished'
  runId: string
  status: RunStatus
  counters: Counters
}

/** One progress event of `syncAll`, discriminated by `event`. */
export type ProgressEvent = RunStartedEvent | TenantStartedEvent | TenantFinishedEvent | RunFinishedEvent

export interface QueueItem {
  entraTenantId: string
  entraObjectId: string
  kind: 'ambiguous' | 'conflict'
  state: 'open' | 'resolved' | 'dismissed'
  reason: string | null
  candidateContactIds: Array<string>
  displayName: string | null
  userPrincipalName: string | null
  resolution: Resolution | null
}

export type Json = { [key: string]: Json } | Array<Json> | string | number | boolean | null

// -------------------------------------------------------------------------------------------
// Errors

/** The kind of a failure: what the caller does about it (see docs/errors.md). */
export type ErrorKind =
  | 'invalid_input' | 'invalid_pattern' | 'mapping_conflict' | 'stale_mapping' | 'consent' | 'auth'
  | 'throttled' | 'upstream' | 'configuration' | 'unsupported' | 'store' | 'sandbox' | 'internal'

/** Base class of every error the package throws; `code` is the stable machine-readable code. */
export declare class EntraSyncError extends Error {
  constructor(message: string, code?: string, details?: ErrorDetails | null, options?: { cause?: unknown })
  /** The stable snake_case code (docs/errors.md). */
  readonly code: string
  /** Structured fields of the error (HTTP status, request id, conflicting tenant, ...), or null. */
  readonly details: ErrorDetails | null
}
/** The structured fields of an error, camelCase. */
export type ErrorDetails = { [key: string]: Json }
export declare class InvalidInput extends EntraSyncError {}
export declare class InvalidPattern extends EntraSyncError {}
export declare class MappingConflict extends EntraSyncError {}
export declare class StaleMapping extends EntraSyncError {}
export declare class ConsentRequired extends EntraSyncError {}
export declare class AuthError extends EntraSyncError {}
export declare class Throttled extends EntraSyncError {}
export declare class UpstreamError extends EntraSyncError {}
export declare class ConfigurationError extends EntraSyncError {}
export declare class Unsupported extends EntraSyncError {}
export declare class StoreError extends EntraSyncError {}
export declare class SandboxError extends EntraSyncError {}

// -------------------------------------------------------------------------------------------
// Pure functions

/** The inputs and outputs of the functions `call` reaches by name. */
export interface FunctionSignatures {
  filter_users: [FilterInput, FilterOutput]
  validate_patterns: [ValidatePatternsInput | Array<string>, ValidatePatternsOutput]
  plan_tenant_sync: [PlanInput, SyncPlan]
  apply_plan: [ApplyPlanInput, PlanInput]
  merge_discovery: [MergeDiscoveryInput, MergeDiscoveryOutput]
  preview_mappings: [PreviewInput, PreviewOutput]
  plan_mapping_changes: [MappingChangesInput, MappingChangesOutput]
  run_id: [RunKey & { attempt?: number }, { runId: string }]
  contact_version: [Contact | { contact: Contact }, { contactVersion: string }]
  summarize_licenses: [LicenseInput, LicenseSummary]
}
export type FunctionName = keyof FunctionSignatures

/** Runs any core function by name on an input in the contract shape. */
export declare function call<F extends FunctionName>(name: F, input: FunctionSignatures[F][0]): FunctionSignatures[F][1]
/** Like `call`, as a Promise computed on a worker thread (the event loop keeps serving). */
export declare function callAsync<F extends FunctionName>(name: F, input: FunctionSignatures[F][0]): Promise<FunctionSignatures[F][1]>
/** The names `call` accepts. */
export declare function functions(): Array<FunctionName>

/** Splits the users into included and excluded (with a reason). */
export declare function filterUsers(input: FilterInput): FilterOutput
/** Checks custom exclusion patterns before they are saved; throws `InvalidPattern`. */
export declare function validatePatterns(input: ValidatePatternsInput | Array<string>): ValidatePatternsOutput
/** Plans one tenant's contact sync: the ordered actions a host applies in one transaction. */
export declare function planTenantSync(input: PlanInput): SyncPlan
/** The reference applier: the plan input as it looks after `plan` is applied. */
export declare function applyPlan(input: PlanInput, plan: SyncPlan): PlanInput
export declare function applyPlan(input: ApplyPlanInput): PlanInput
/** Previews tenant-to-client mappings; writes nothing. */
export declare function previewMappings(input: PreviewInput): PreviewOutput
/** Merges a discovery listing into the known tenants. */
export declare function mergeDiscovery(input: MergeDiscoveryInput): MergeDiscoveryOutput
/** Turns operator decisions into the mapping changes to persist. */
export declare function planMappingChanges(input: MappingChangesInput): MappingChangesOutput
export declare function filterUsersAsync(input: FilterInput): Promise<FilterOutput>
export declare function planTenantSyncAsync(input: PlanInput): Promise<SyncPlan>
export declare function previewMappingsAsync(input: PreviewInput): Promise<PreviewOutput>
export declare function applyPlanAsync(input: PlanInput, plan: SyncPlan): Promise<PlanInput>
export declare function applyPlanAsync(input: ApplyPlanInput): Promise<PlanInput>
/** Input of `ClientIndex.preview`: the `PreviewInput` fields that change between previews. The
 * clients and options belong to the index. */
export interface IndexedPreviewInput {
  tenants: Array<ManagedTenant>
  mappings?: Array<TenantMapping>
  clients?: never
  options?: never
}
/** The PSA's clients and the preview options, validated and indexed once (invalid ones throw
 * `InvalidInput`, as `previewMappings` would). `preview` returns exactly what `previewMappings`
 * returns for the same tenants, mappings, clients and options. */
export declare class ClientIndex {
  constructor(clients: Array<Client> | null, options?: PreviewOptions | null)
  /** `previewMappings` of the tenants and mappings against the indexed clients. */
  preview(input: IndexedPreviewInput): PreviewOutput
  /** Like `preview`, computed on a worker thread. */
  previewAsync(input: IndexedPreviewInput): Promise<PreviewOutput>
  /** How many clients the index holds. */
  readonly size: number
}
/** The version of a stored contact (32 hex digits, compare only for equality): apply an
 * action carrying `contactVersion` only while the stored contact still has that version. */
export declare function contactVersion(contact: Contact): string

/** One entry of Graph `GET /subscribedSkus`. */
export interface SubscribedSku {
  skuId: string
  skuPartNumber?: string | null
  prepaidUnits?: { enabled?: number; suspended?: number; warning?: number; lockedOut?: number } | null
  consumedUnits?: number | null
}

export interface LicenseInput {
  entraTenantId?: string
  users?: Array<EntraUser>
  subscribedSkus?: Array<SubscribedSku>
}

/** One SKU's counts; `assigned` = enabled members + disabled users + enabled guests. */
export interface SkuSummary {
  skuId: string
  /** The SKU id when the SKU is not among the subscribed SKUs. */
  skuPartNumber: string
  /** The common product name, or the part number when unknown. */
  productName: string
  subscribed: boolean
  purchased: number
  consumed: number
  available: number
  assigned: number
  assignedToEnabledMembers: number
  assignedToDisabledUsers: number
  assignedToGuests: number
  /** Disabled users + enabled guests: licences to reclaim. */
  reclaimable: number
}

export interface UserLicenses {
  entraObjectId: string
  userPrincipalName?: string
  displayName?: string
  accountEnabled: boolean
  guest: boolean
  skuPartNumbers: Array<string>
}

export interface LicenseSummary {
  entraTenantId: string
  skus: Array<SkuSummary>
  users: Array<UserLicenses>
  totals: { purchased: number; assigned: number; reclaimable: number; licensedUsers: number }
}

/** A tenant's licence summary from its user listing and subscribed SKUs. */
export declare function summarizeLicenses(input: LicenseInput): LicenseSummary
/** The deterministic id of a run; `attempt` > 1 names a later attempt of a finished run. */
export declare function runId(key: RunKey, attempt?: number): string

/** The canonical secret names a host stores credentials under. */
export declare const SECRET_NAMES: {
  readonly MICROSOFT_CLIENT_ID: 'microsoft_client_id'
  readonly MICROSOFT_CLIENT_SECRET: 'microsoft_client_secret'
  readonly MICROSOFT_TENANT_ID: 'microsoft_tenant_id'
  readonly ENTRA_DIRECT_ACCESS_TOKEN: 'entra_direct_access_token'
  readonly ENTRA_DIRECT_REFRESH_TOKEN: 'entra_direct_refresh_token'
  readonly ENTRA_DIRECT_TOKEN_EXPIRES_AT: 'entra_direct_token_expires_at'
  readonly ENTRA_DIRECT_PARTNER_TENANT_ID: 'entra_direct_partner_tenant_id'
  readonly ENTRA_DIRECT_TOKEN_SCOPE: 'entra_direct_token_scope'
  readonly ENTRA_CIPP_BASE_URL: 'entra_cipp_base_url'
  readonly ENTRA_CIPP_CLIENT_ID: 'entra_cipp_client_id'
  readonly ENTRA_CIPP_CLIENT_SECRET: 'entra_cipp_client_secret'
  readonly ENTRA_CIPP_TENANT_ID: 'entra_cipp_tenant_id'
  readonly ENTRA_CIPP_API_TOKEN: 'entra_cipp_api_token'
  readonly DIRECT_CONNECTION: ReadonlyArray<string>
  readonly CIPP_CONNECTION: ReadonlyArray<string>
}

/** The package version. */
export declare const version: string

// -------------------------------------------------------------------------------------------
// Providers

/** What both providers share. */
export declare abstract class Provider {
  /** `"direct"` (Graph) or `"cipp"`. */
  readonly connectionType: ConnectionType
  /** Whether `listUsersDelta` is served (Graph) or rejects with `Unsupported` (CIPP). */
  readonly supportsDelta: boolean
  listManagedTenants(): Promise<TenantListing>
  listUsers(tenantId: string): Promise<UserListing>
  listUsersDelta(tenantId: string, deltaLink?: string | null): Promise<DeltaListing>
}

export interface GraphProviderOptions {
  /** Called with every new token set; persist its `refreshToken` (it rotates on every use).
   * A callback that throws or rejects fails the call during which it ran (`token_persist_failed`). */
  onTokensRotated?: (tokens: TokenSet) => void | Promise<void>
}

/** Microsoft Graph with the MSP's partner (GDAP) access. */
export declare class GraphProvider extends Provider {
  constructor(settings: GraphSettings, options?: GraphProviderOptions)
  validate(): Promise<ValidationReport>
}

/** The CIPP API. */
export declare class CippProvider extends Provider {
  constructor(settings: CippSettings)
  validate(probeTenant?: string | null): Promise<ValidationReport>
}

// -------------------------------------------------------------------------------------------
// Partner sign-in

/** Starts a partner sign-in: send the browser to `url`; keep `codeVerifier` server-side. */
export declare function authorizeUrl(settings: SignInSettings, signingKey: string, hostTenant: string, hostUser: string): AuthorizationStart
export interface VerifyStateOptions {
  /** Maximum age of the state in seconds (10 minutes by default). */
  ttl?: number
  /** Records the nonce atomically; returns false when it was already used (a replay). */
  consumeNonce?: (nonce: string, expiresAtMs: number) => boolean | Promise<boolean>
}
/** Checks the `state` a callback received; throws `AuthError` with a `state_*` code. */
export declare function verifyState(state: string, signingKey: string, expectedTenant: string, expectedUser: string, redirectUri: string, options?: VerifyStateOptions): Promise<StateClaims>
/** Redeems the authorization code of the callback. */
export declare function exchangeCode(settings: SignInSettings, code: string, codeVerifier: string): Promise<TokenSet>
/** Redeems a refresh token; persist the new `refreshToken`. */
export declare function refreshTokens(settings: SignInSettings, refreshToken: string, scope?: string | null): Promise<TokenSet>

// -------------------------------------------------------------------------------------------
// Stores and the engine

/** What both stores share. */
export declare abstract class Store {
  upsertClients(clients: Array<Client>): Promise<null>
  upsertContacts(contacts: Array<Contact>): Promise<null>
  loadTenants(): Promise<Array<ListedTenant>>
  loadMappings(): Promise<Array<TenantMapping>>
  loadQueue(tenantId?: string | null): Promise<Array<QueueItem>>
  resolveQueueItem(tenantId: string, resolution: Resolution): Promise<null>
  loadRun(runId: string): Promise<RunRecord | null>
  loadTenantResults(runId: string): Promise<Array<TenantRunResult>>
  loadSyncSettings(tenantId: string): Promise<SyncSettings>
  saveSyncSettings(tenantId: string, settings: SyncSettings): Promise<null>
  snapshot(): Promise<StoreSnapshot>
  /** The PSA account whose records this store reads and writes. */
  readonly accountId: string
  loadSettingsOverrides(tenantId?: string | null): Promise<SettingsOverrides>
  saveSettingsOverrides(overrides: SettingsOverrides, tenantId?: string | null): Promise<null>
  resolveSyncSettings(tenantId: string): Promise<ResolvedSettings>
  connectionStatus(): Promise<ConnectionStatusReport>
  connect(connectionType: 'direct' | 'cipp'): Promise<ConnectionChange>
  recordValidation(report: { ok: boolean; checks: Array<{ [key: string]: Json }> }): Promise<AccountConnection>
  disconnect(): Promise<ConnectionChange>
}
/** Everything a store holds. */
export type StoreSnapshot = { [key: string]: Json }
export declare class MemoryStore extends Store {
  constructor(accountId?: string | null)
}
export declare class SqliteStore extends Store {
  constructor(path: string, accountId?: string | null)
  static inMemory(): SqliteStore
}

export interface SyncTenantOptions {
  dryRun?: boolean
  useDelta?: boolean
}
export interface SyncAllOptions extends SyncTenantOptions {
  concurrency?: number
  trigger?: RunTrigger
  requestKey?: string | null
  bucketSeconds?: number
  /** Receives the run's progress events (on the JavaScript thread). */
  onProgress?: (event: ProgressEvent) => void
  /** Aborting stops the run between tenants; it ends `cancelled` and resumes with the same key. */
  signal?: AbortSignal
}

/** Discovery, mapping and contact sync over a provider and a store. */
export declare class SyncEngine {
  constructor(provider: GraphProvider | CippProvider, store: MemoryStore | SqliteStore)
  discover(): Promise<DiscoveryReport>
  previewMappings(options?: PreviewOptions): Promise<PreviewOutput>
  applyMappingChanges(operations: Array<MappingOperation>): Promise<MappingChangesOutput>
  syncTenant(mapping: TenantMapping, options?: SyncTenantOptions): Promise<TenantSyncReport>
  syncAll(options?: SyncAllOptions): Promise<RunReport>
  /** "Sync now" on a client: its tenants as one recorded run of scope `client`. */
  syncClient(clientId: string, options?: SyncAllOptions): Promise<RunReport>
  /** Discovery as a recorded run of scope `discovery`. */
  discoverRun(options?: { trigger?: RunTrigger; requestKey?: string | null; bucketSeconds?: number }): Promise<DiscoveryRunReport>
}

/** Validates CIPP settings and returns the secrets to write under their canonical names. */
export declare function cippSecrets(settings: CippSettingsInput): CippSecrets

// -------------------------------------------------------------------------------------------
// Sandbox

export interface SandboxUser {
  id: string
  kind: string
  accountEnabled: boolean
  [key: string]: Json
}

/** The loopback Microsoft login + Graph + CIPP services with a synthetic MSP estate. */
export declare class Sandbox {
  static start(config?: SandboxConfig): Promise<Sandbox>
  readonly loginBaseUrl: string
  readonly graphBaseUrl: string
  readonly cippBaseUrl: string
  readonly running: boolean
  readonly credentials: SandboxCredentials
  graphSettings(): GraphSettings
  cippSettings(): CippSettings
  partnerTenant(): SandboxTenant
  tenants(): Array<SandboxTenant>
  users(tenantId: string): Array<SandboxUser>
  expectedUsers(tenantId: string): Array<ListedUser>
  crmClients(): Array<Client>
  crmContacts(): Array<Contact>
  mutate(mutation: SandboxMutation): string
  faults(): SandboxFaults
  setFaults(faults: SandboxFaults): void
  updateFaults(faults: SandboxFaults): void
  revokeRefreshTokens(): void
  expireDeltaTokens(): void
  /** How many requests reached `path` (`/v1.0/users`, `/api/ListTenants`, ...), faulted ones included. */
  requestCount(path: string): number
  /** Requests per path. */
  requestCounts(): { [path: string]: number }
  /** Forgets the request counts. */
  resetRequestCounts(): void
  /** Every access token issued so far stops working (Graph and CIPP answer 401). */
  revokeAccessTokens(): void
  shutdown(): Promise<void>
}

// -------------------------------------------------------------------------------------------
// Logging

export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace'
/** One Rust log event; `context` holds the fields of its spans (run, tenant). */
export interface LogEvent {
  level: LogLevel
  message: string
  target: string
  fields: { [key: string]: Json }
  context: { [key: string]: Json }
}
export type LogFunction = (event: LogEvent) => void
export interface LogMethods {
  error?: (message: string, event: LogEvent) => void
  warn?: (message: string, event: LogEvent) => void
  info?: (message: string, event: LogEvent) => void
  debug?: (message: string, event: LogEvent) => void
  trace?: (message: string, event: LogEvent) => void
}
/** Sends the Rust log events to `logger` (null stops); `level` is the most verbose forwarded. */
export declare function setLogger(logger: LogFunction | LogMethods | null, options?: { level?: LogLevel | 'off' }): void
