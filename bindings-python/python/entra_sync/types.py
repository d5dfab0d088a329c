"""The canonical contract records as ``TypedDict``s.

These are the shapes the pure functions take and return (camelCase keys, as Microsoft Graph and
the Node package use). Enum values are snake_case strings. Unknown keys are ignored on input; a
missing required key is an :class:`entra_sync.InvalidInput` naming the field.

Every record is a plain ``dict`` at run time; the classes only inform type checkers. Each record
is split into a private base holding its required keys and a ``total=False`` class adding the
optional ones, which works on every supported Python version.
"""

from __future__ import annotations

from typing import Any, Dict, List, Literal, Optional, TypedDict, Union

# ---------------------------------------------------------------------------------------------
# Users, contacts, links


class _EntraUserRequired(TypedDict):
    entraObjectId: str
    accountEnabled: bool


class EntraUser(_EntraUserRequired, total=False):
    """A user of a customer tenant, as every provider normalizes it. ``mail`` is read as ``email``."""

    entraTenantId: str
    userPrincipalName: Optional[str]
    email: Optional[str]
    mail: Optional[str]
    otherMails: List[str]
    proxyAddresses: List[str]
    displayName: Optional[str]
    givenName: Optional[str]
    surname: Optional[str]
    userType: Optional[str]
    jobTitle: Optional[str]
    mobilePhone: Optional[str]
    businessPhones: List[str]
    assignedLicenseSkuIds: List[str]


PhoneType = Literal["work", "mobile", "other"]


class _PhoneNumberRequired(TypedDict):
    number: str


class PhoneNumber(_PhoneNumberRequired, total=False):
    type: PhoneType


InactiveSource = Literal["entra_sync", "other"]


class _ContactRequired(TypedDict):
    contactId: str


class Contact(_ContactRequired, total=False):
    """A PSA contact as the host hands it to the planner (``clientId`` is required by the planner)."""

    clientId: Optional[str]
    email: Optional[str]
    additionalEmails: List[str]
    fullName: Optional[str]
    role: Optional[str]
    phoneNumbers: List[PhoneNumber]
    userPrincipalName: Optional[str]
    isInactive: bool
    inactiveSource: Optional[InactiveSource]
    locked: bool
    # Sync metadata (left out when unset): see docs/contract.md.
    lastSyncedBy: str
    lastSyncedAt: str
    upstreamEnabled: bool
    syncStatus: "SyncStatus"


SyncState = Literal["active", "inactivated"]


class _SyncStatusRequired(TypedDict):
    status: SyncState


class SyncStatus(_SyncStatusRequired, total=False):
    """What sync last did to a contact: e.g. ``inactivated`` with reason ``disabled_upstream``."""

    reason: str


LinkStatus = Literal["active", "closed"]


class _ContactLinkRequired(TypedDict):
    entraTenantId: str
    entraObjectId: str
    contactId: str


class ContactLink(_ContactLinkRequired, total=False):
    """The durable link between an Entra identity and a contact; closed (``active: False``), never purged."""

    clientId: Optional[str]
    active: bool
    # Sync metadata (left out when unset): see docs/contract.md.
    lastSeenAt: str
    lastSyncedAt: str
    status: LinkStatus


ResolutionDecision = Literal["link_existing", "create_new", "dismissed"]


class _ResolutionRequired(TypedDict):
    entraObjectId: str
    decision: ResolutionDecision


class Resolution(_ResolutionRequired, total=False):
    """An operator's answer to an ambiguous item."""

    contactId: Optional[str]


class Warning(TypedDict):
    code: str
    message: str


# ---------------------------------------------------------------------------------------------
# Settings


class FieldSync(TypedDict, total=False):
    """Field toggles: sync overwrites a contact field only when its toggle is on."""

    displayName: bool
    email: bool
    phone: bool
    jobTitle: bool
    upn: bool


class FilterOptions(TypedDict, total=False):
    customExclusionPatterns: List[str]
    includeGuests: bool
    licensedOnly: bool
    includeGroupIds: List[str]
    """Group object ids: when not empty, only their transitive members are synced."""
    excludeGroupIds: List[str]
    """Group object ids whose transitive members are never synced (exclusion wins)."""


class MassInactivation(TypedDict, total=False):
    maxShare: float
    minCount: int


class SyncSettings(TypedDict, total=False):
    """Per-tenant sync settings; ``{}`` is valid and means the safe defaults."""

    fieldSync: FieldSync
    markInactiveWhenDisabled: bool
    reactivateWhenEnabled: bool
    filter: FilterOptions
    massInactivation: MassInactivation
    allowMassInactivation: bool
    inactivateWhenLeavingGroupScope: bool
    syncEnabled: bool
    syncIntervalMinutes: int


class SettingsOverrides(SyncSettings, total=False):
    """One settings layer (account-wide defaults or a tenant's overrides): absent keys inherit."""


class ResolvedSetting(TypedDict):
    value: Any
    source: Literal["default", "account", "tenant"]


class ResolvedSettings(TypedDict):
    effective: SyncSettings
    fields: Dict[str, ResolvedSetting]


ConnectionStatus = Literal["connected", "disconnected", "validation_failed"]


class AccountConnection(TypedDict):
    connectionId: str
    connectionType: Literal["direct", "cipp"]
    status: ConnectionStatus
    connectedAt: Optional[str]
    disconnectedAt: Optional[str]
    lastValidatedAt: Optional[str]
    lastValidation: Optional[Dict[str, Any]]


class ConnectionChange(TypedDict):
    """``secretsToClear``: canonical secret names the host deletes from its vault."""

    connection: Optional[AccountConnection]
    secretsToClear: List[str]


class ConnectionStatusReport(TypedDict):
    active: Optional[AccountConnection]
    history: List[AccountConnection]


class CippSecrets(TypedDict):
    secrets: Dict[str, str]


# ---------------------------------------------------------------------------------------------
# filter_users / validate_patterns

ExclusionReason = Literal[
    "account_disabled",
    "missing_identity",
    "guest",
    "unlicensed",
    "service_account",
    "tenant_custom_pattern",
    "not_in_included_group",
    "in_excluded_group",
    "group_scope_unknown",
]

GroupListingStatus = Literal["complete", "incomplete", "not_found"]


class _GroupMembershipRequired(TypedDict):
    groupId: str
    status: GroupListingStatus


class GroupMembership(_GroupMembershipRequired, total=False):
    """One group's transitive member ids, as a provider listed them."""

    memberIds: List[str]


class _FilterInputRequired(TypedDict):
    users: List[EntraUser]


class FilterInput(_FilterInputRequired, total=False):
    options: FilterOptions
    groupMemberships: List[GroupMembership]


class _ExcludedUserRequired(TypedDict):
    user: EntraUser
    reason: ExclusionReason


class ExcludedUser(_ExcludedUserRequired, total=False):
    pattern: str


class _FilterOutputRequired(TypedDict):
    included: List[EntraUser]
    excluded: List[ExcludedUser]


class FilterOutput(_FilterOutputRequired, total=False):
    warnings: List[Warning]


class _ExcludedInputRequired(TypedDict):
    user: Dict[str, Any]
    reason: ExclusionReason


class ExcludedInput(_ExcludedInputRequired, total=False):
    pattern: str


class _FilterInputsOutputRequired(TypedDict):
    included: List[Dict[str, Any]]
    excluded: List[ExcludedInput]


class FilterInputsOutput(_FilterInputsOutputRequired, total=False):
    """`filter_users(..., returns="inputs")`: the caller's own user objects, whatever their shape."""

    warnings: List[Warning]


class _ExcludedPositionRequired(TypedDict):
    index: int
    reason: ExclusionReason


class ExcludedPosition(_ExcludedPositionRequired, total=False):
    pattern: str


class _FilterPositionsRequired(TypedDict):
    included: List[int]
    excluded: List[ExcludedPosition]


class FilterPositions(_FilterPositionsRequired, total=False):
    """`filter_users(..., returns="positions")`: indices into the input's `users`."""

    warnings: List[Warning]


# ---------------------------------------------------------------------------------------------
# plan_tenant_sync / apply_plan


class _PlanInputRequired(TypedDict):
    entraTenantId: str
    clientId: str
    users: List[EntraUser]
    listingComplete: bool
    contacts: List[Contact]
    links: List[ContactLink]


class PlanInput(_PlanInputRequired, total=False):
    """Everything one tenant's plan depends on."""

    removedObjectIds: List[str]
    resolutions: List[Resolution]
    settings: SyncSettings
    # Stamped as lastSyncedAt / lastSeenAt; the core reads no clock.
    now: str
    # Stamped as lastSyncedBy ("entra-sync" when omitted).
    syncedBy: str
    groupMemberships: List[GroupMembership]


ActionKind = Literal[
    "link", "create", "update", "queue_ambiguous", "conflict", "inactivate", "reactivate", "unlink"
]


class ContactPatch(TypedDict, total=False):
    """Only the fields whose toggle is on and whose value changes."""

    fullName: str
    email: str
    additionalEmails: List[str]
    role: str
    phoneNumbers: List[PhoneNumber]
    userPrincipalName: str


class _ContactSyncMetadataRequired(TypedDict):
    lastSyncedBy: str


class ContactSyncMetadata(_ContactSyncMetadataRequired, total=False):
    """What an action writes on its contact (not part of the idempotency key)."""

    lastSyncedAt: str
    upstreamEnabled: bool
    syncStatus: SyncStatus


class _LinkSyncMetadataRequired(TypedDict):
    status: LinkStatus


class LinkSyncMetadata(_LinkSyncMetadataRequired, total=False):
    """What an action writes on the identity's link (not part of the idempotency key)."""

    lastSyncedAt: str
    lastSeenAt: str


class SeenIdentity(TypedDict):
    """A listed identity with an active link: a touch (``lastSeenAt``), never a change."""

    entraObjectId: str
    contactId: str
    upstreamEnabled: bool


class _ActionRequired(TypedDict):
    kind: ActionKind
    entraTenantId: str
    entraObjectId: str
    clientId: str
    idempotencyKey: str


class Action(_ActionRequired, total=False):
    """One change (or one item for review) with what the host needs to apply it."""

    contactId: str
    contact: Contact
    patch: ContactPatch
    reason: str
    candidateContactIds: List[str]
    contactIds: List[str]
    displayName: str
    userPrincipalName: str
    contactVersion: str
    contactSync: ContactSyncMetadata
    linkSync: LinkSyncMetadata


class Counters(TypedDict, total=False):
    created: int
    linked: int
    updated: int
    unchanged: int
    ambiguous: int
    conflicts: int
    inactivated: int
    reactivated: int
    excluded: int
    withheld: int
    unlinked: int


class SyncPlan(TypedDict, total=False):
    """The ordered actions of one tenant's sync; dry run is "plan, don't apply"."""

    entraTenantId: str
    clientId: str
    inputDigest: str
    actions: List[Action]
    withheld: List[Action]
    excluded: List[ExcludedUser]
    counters: Counters
    warnings: List[Warning]
    seenAt: str
    seen: List[SeenIdentity]


class ApplyPlanInput(TypedDict):
    input: PlanInput
    plan: SyncPlan


# ---------------------------------------------------------------------------------------------
# summarize_licenses


class _PrepaidUnits(TypedDict, total=False):
    enabled: int
    suspended: int
    warning: int
    lockedOut: int


class _SubscribedSkuRequired(TypedDict):
    skuId: str


class SubscribedSku(_SubscribedSkuRequired, total=False):
    """One entry of Graph `GET /subscribedSkus`."""

    skuPartNumber: str
    prepaidUnits: _PrepaidUnits
    consumedUnits: int


class LicenseInput(TypedDict, total=False):
    entraTenantId: str
    users: List[EntraUser]
    subscribedSkus: List[SubscribedSku]


class SkuSummary(TypedDict):
    skuId: str
    skuPartNumber: str
    productName: str
    subscribed: bool
    purchased: int
    consumed: int
    available: int
    assigned: int
    assignedToEnabledMembers: int
    assignedToDisabledUsers: int
    assignedToGuests: int
    reclaimable: int


class _UserLicensesRequired(TypedDict):
    entraObjectId: str
    accountEnabled: bool
    guest: bool
    skuPartNumbers: List[str]


class UserLicenses(_UserLicensesRequired, total=False):
    userPrincipalName: str
    displayName: str


class LicenseTotals(TypedDict):
    purchased: int
    assigned: int
    reclaimable: int
    licensedUsers: int


class LicenseSummary(TypedDict):
    """A tenant's licences: per SKU (subscribed first), the licensed users, the totals."""

    entraTenantId: str
    skus: List[SkuSummary]
    users: List[UserLicenses]
    totals: LicenseTotals


# ---------------------------------------------------------------------------------------------
# Tenants, clients, mappings

TenantStatus = Literal["active", "not_listed"]


class _ManagedTenantRequired(TypedDict):
    entraTenantId: str


class ManagedTenant(_ManagedTenantRequired, total=False):
    """A customer tenant the MSP manages, as discovered through a provider."""

    displayName: Optional[str]
    primaryDomain: Optional[str]
    domains: List[str]
    sourceUserCount: Optional[int]
    status: TenantStatus
    healthNote: str
    domainSource: "DomainSource"


DomainSource = Literal["tenant_domains", "tenant_information", "lighthouse", "contract", "cipp"]


class _ClientRequired(TypedDict):
    clientId: str


class Client(_ClientRequired, total=False):
    """A PSA client a tenant can be mapped to."""

    clientName: Optional[str]
    domains: List[str]
    secondaryDomains: List[str]


MappingState = Literal["mapped", "skipped"]


class _TenantMappingRequired(TypedDict):
    entraTenantId: str
    state: MappingState


class TenantMapping(_TenantMappingRequired, total=False):
    clientId: Optional[str]
    confirmedAt: Optional[str]


ConnectionType = Literal["direct", "cipp"]


class _MergeDiscoveryInputRequired(TypedDict):
    listingComplete: bool


class MergeDiscoveryInput(_MergeDiscoveryInputRequired, total=False):
    """Known tenants and a fresh discovery listing."""

    known: List[ManagedTenant]
    listed: List[ManagedTenant]


class MergeDiscoveryOutput(TypedDict):
    insert: List[ManagedTenant]
    update: List[ManagedTenant]
    unchanged: List[ManagedTenant]
    notListed: List[ManagedTenant]
    warnings: List[Warning]


class PreviewOptions(TypedDict, total=False):
    threshold: float
    topK: int


class _PreviewInputRequired(TypedDict):
    tenants: List[ManagedTenant]
    clients: List[Client]


class PreviewInput(_PreviewInputRequired, total=False):
    mappings: List[TenantMapping]
    options: PreviewOptions


MatchReason = Literal["exact_domain", "secondary_domain", "fuzzy_name"]


AbbreviationUse = TypedDict(
    "AbbreviationUse",
    {"tenantWord": str, "clientWord": str, "rule": Literal["table", "prefix"]},
)


class Evidence(TypedDict, total=False):
    tenantDomain: str
    clientDomain: str
    tenantName: str
    clientName: str
    method: str
    exactName: bool
    abbreviations: List[AbbreviationUse]


class _SuggestionRequired(TypedDict):
    clientId: str
    score: float
    reason: MatchReason


class Suggestion(_SuggestionRequired, total=False):
    matchedDomain: str
    evidence: Evidence


# `match` is a keyword in no supported Python, but the functional form keeps the key exact.
AutoMatch = TypedDict("AutoMatch", {"entraTenantId": str, "match": Suggestion})


class CandidateGroup(TypedDict):
    entraTenantId: str
    candidates: List[Suggestion]


class TenantRef(TypedDict):
    entraTenantId: str


class MappedRef(TypedDict):
    entraTenantId: str
    clientId: str


class PreviewOutput(TypedDict):
    """Nothing is written: the host shows this and the operator decides."""

    autoMatched: List[AutoMatch]
    fuzzyCandidates: List[CandidateGroup]
    unmatched: List[TenantRef]
    mapped: List[MappedRef]
    skipped: List[TenantRef]


class ConfirmOperation(TypedDict):
    kind: Literal["confirm"]
    entraTenantId: str
    clientId: str


class SkipOperation(TypedDict):
    kind: Literal["skip"]
    entraTenantId: str


class RemapOperation(TypedDict):
    kind: Literal["remap"]
    entraTenantId: str
    fromClientId: str
    toClientId: str


class UnmapOperation(TypedDict):
    kind: Literal["unmap"]
    entraTenantId: str


MappingOperation = Union[ConfirmOperation, SkipOperation, RemapOperation, UnmapOperation]


class _MappingChangesInputRequired(TypedDict):
    operations: List[MappingOperation]


class MappingChangesInput(_MappingChangesInputRequired, total=False):
    mappings: List[TenantMapping]
    now: Optional[str]


class _MappingChangeRequired(TypedDict):
    kind: Literal["confirm", "skip", "remap", "unmap"]
    entraTenantId: str


class MappingChange(_MappingChangeRequired, total=False):
    """Close `closed` (kept as history), then insert `opened` as the tenant's active row."""

    clientId: Optional[str]
    previousClientId: Optional[str]
    fromClientId: Optional[str]
    toClientId: Optional[str]
    closed: Optional[TenantMapping]
    opened: Optional[TenantMapping]


class MappingChangesOutput(TypedDict):
    changes: List[MappingChange]
    warnings: List[Warning]


class ValidatePatternsInput(TypedDict):
    patterns: List[str]


class ValidatePatternsOutput(TypedDict):
    valid: bool
    count: int


# ---------------------------------------------------------------------------------------------
# Provider results


class ProviderErrorInfo(TypedDict, total=False):
    """An upstream failure carried inside a listing (and in ``EntraSyncError.details``)."""

    code: str
    message: str
    status: int
    requestId: str
    date: str
    upstreamCode: str


class TenantListing(TypedDict, total=False):
    tenants: List[ManagedTenant]
    complete: bool
    warnings: List[Warning]


class UserListing(TypedDict, total=False):
    """``complete`` is False when a page failed half-way: then absence proves nothing."""

    users: List[EntraUser]
    complete: bool
    error: ProviderErrorInfo


class RemovedUser(TypedDict):
    entraObjectId: str
    reason: Literal["changed", "deleted"]


class DeltaListing(TypedDict, total=False):
    users: List[EntraUser]
    removed: List[RemovedUser]
    deltaLink: Optional[str]
    resyncRequired: bool
    fullEnumeration: bool
    complete: bool


class ValidationCheck(TypedDict, total=False):
    """One named check of a connection, with the error code to act on when it failed."""

    name: str
    ok: bool
    status: Literal["passed", "failed", "skipped"]
    code: str
    errorCode: str
    message: str


class ValidationReport(TypedDict, total=False):
    ok: bool
    checks: List[ValidationCheck]


class TokenSet(TypedDict):
    """A rotated partner token set, handed to ``on_tokens_rotated``: persist the refresh token."""

    accessToken: str
    refreshToken: Optional[str]
    expiresAt: int
    scope: Optional[str]


class _SignInSettingsRequired(TypedDict):
    clientId: str


class SignInSettings(_SignInSettingsRequired, total=False):
    """The partner app for sign-in, code exchange and refresh."""

    clientSecret: str
    authority: str
    redirectUri: str
    scopes: List[str]
    prompt: str
    cloud: Literal["global", "us_gov_high", "us_gov_dod", "china"]
    loginBase: str
    graphBase: str
    graphResource: str
    policy: "HttpPolicy"


class StateClaims(TypedDict):
    tenant: str
    user: str
    nonce: str
    issuedAt: int
    redirectUri: str


class AuthorizationStart(TypedDict):
    """Send the browser to ``url``; keep ``codeVerifier`` server-side for the exchange."""

    url: str
    state: str
    claims: StateClaims
    codeVerifier: str


# ---------------------------------------------------------------------------------------------
# Provider and sandbox settings


class HttpPolicy(TypedDict, total=False):
    """Timeouts and retry budget; durations in seconds."""

    connectTimeout: float
    requestTimeout: float
    maxRetries: int
    baseDelay: float
    maxDelay: float
    maxTotalWait: float
    maxPages: int
    retryBadGateway: bool


class _GraphSettingsRequired(TypedDict):
    clientId: str
    clientSecret: str
    partnerTenantId: str


class GraphSettings(_GraphSettingsRequired, total=False):
    refreshToken: str
    accessToken: str
    expiresAt: int
    scope: str
    cloud: Literal["global", "us_gov_high", "us_gov_dod", "china"]
    loginBase: str
    graphBase: str
    graphResource: str
    customerGrant: Literal["partner_refresh_token", "client_credentials"]
    enrichFromRelationships: bool
    includeLighthouse: bool
    includeDomains: bool
    includeContracts: bool
    includeUserCounts: bool
    customersPageSize: int
    usersPageSize: int
    policy: HttpPolicy


class _CippSettingsRequired(TypedDict):
    baseUrl: str


class CippSettings(_CippSettingsRequired, total=False):
    tenantId: str
    clientId: str
    clientSecret: str
    apiToken: str
    loginBase: str
    partnerTenantId: str
    graphHost: str
    pageSize: int
    policy: HttpPolicy


class _SandboxPageFaultRequired(TypedDict):
    page: int
    kind: Literal[
        "connection_reset",
        "stall",
        "malformed_json",
        "foreign_next_link",
        "repeated_next_link",
        "token_expired",
        "missing_account_enabled",
    ]


class SandboxPageFault(_SandboxPageFaultRequired, total=False):
    """A fault on one page of a tenant's Graph user listing; `times` 0 (default) strikes every time."""

    times: int


class SandboxFaults(TypedDict, total=False):
    """Injected failures; rates are 0..1, durations in seconds, tenant-keyed knobs take tenant ids."""

    latency: float
    latencyJitter: float
    graphThrottleRate: float
    graphThrottleNext: int
    retryAfterSecs: int
    omitRetryAfter: bool
    graphUnavailableRate: float
    graphUnavailableNext: int
    unavailableRetryAfterSecs: Optional[int]
    cippGatewayErrorRate: float
    cippGatewayErrorNext: int
    cippGatewayStatus: int
    tokenErrors: Dict[
        str,
        Literal[
            "consent_missing",
            "user_not_in_tenant",
            "mfa_required",
            "conditional_access",
            "refresh_token_expired",
            "client_secret_expired",
        ],
    ]
    gdapRoleMissing: List[str]
    failingPage: Dict[str, int]
    failingPageStatus: int
    pageFaults: Dict[str, SandboxPageFault]
    pageStall: float
    failingGroupPage: Dict[str, int]
    delta: Literal["none", "expired", "gone"]
    cippDenial: Optional[
        Literal["role_lacks_permission", "ip_not_allowed", "tenant_not_allowed", "subscription_ended"]
    ]
    cippTenantsErrorRow: bool
    cippTenantsNullRow: bool
    cippPartnerRow: bool
    authorizeDenied: bool
    oneTimeRefreshTokens: bool
    gdapUnavailable: bool
    lighthouseUnavailable: bool
    contractsUnavailable: bool
    tenantInformationUnavailable: bool
    domainsDenied: List[str]
    userCountDenied: List[str]
    dapOnly: List[str]


class SandboxConfig(TypedDict, total=False):
    seed: int
    tenants: int
    usersPerTenant: int
    crmClients: int
    defaultPageSize: int
    deltaPageSize: int
    tokenLifetime: float
    redirectUris: List[str]
    faults: SandboxFaults
    cloud: Literal["global", "us_gov_high", "us_gov_dod", "china"]


class SandboxCredentials(TypedDict):
    clientId: str
    clientSecret: str
    partnerTenantId: str
    partnerRefreshToken: str
    cippTenantId: str
    cippClientId: str
    cippClientSecret: str


class SandboxTenant(TypedDict, total=False):
    tenantId: str
    displayName: str
    defaultDomain: str
    initialDomain: str
    domains: List[str]
    unverifiedDomains: List[str]
    lighthouse: bool
    dapContract: bool
    directorySync: bool
    crmClientId: Optional[str]
    crmMatch: Literal["exact_domain", "other_verified_domain", "secondary_domain", "fuzzy_name", "none"]
    created: int


class SandboxMutation(TypedDict, total=False):
    """``kind`` is one of disable, enable, soft_delete, hard_delete, restore, rename, change_email,
    add_alias, add_user; the other keys depend on it."""

    kind: str
    userId: str
    tenantId: str
    displayName: str
    givenName: Optional[str]
    surname: Optional[str]
    email: str
    address: str
    jobTitle: Optional[str]
    accountEnabled: bool


# ---------------------------------------------------------------------------------------------
# Run ids

RunScope = Literal["all_tenants", "tenant", "discovery", "client"]
RunTrigger = Literal["initial", "manual", "scheduled"]


class RequestKeyDiscriminator(TypedDict):
    kind: Literal["request_key"]
    key: str


class TimeBucketDiscriminator(TypedDict):
    kind: Literal["time_bucket"]
    unixSeconds: int
    bucketSeconds: int


class _RunKeyRequired(TypedDict):
    scope: RunScope
    trigger: RunTrigger
    discriminator: Union[RequestKeyDiscriminator, TimeBucketDiscriminator]


class RunKey(_RunKeyRequired, total=False):
    entraTenantId: Optional[str]
    clientId: Optional[str]


# ---------------------------------------------------------------------------------------------
# Engine results

RunStatus = Literal["running", "completed", "partial", "failed", "cancelled"]


class DiscoveryReport(TypedDict):
    listingComplete: bool
    merge: MergeDiscoveryOutput
    warnings: List[Warning]


class _TenantSyncReportRequired(TypedDict):
    entraTenantId: str
    clientId: str
    mode: Literal["full", "delta"]
    listingComplete: bool
    usersListed: int
    applied: bool
    plan: SyncPlan
    warnings: List[Warning]
    durationMs: int


class TenantSyncReport(_TenantSyncReportRequired, total=False):
    licenseSummary: LicenseSummary
    """Made from a full, complete listing and the subscribed SKUs; absent otherwise."""


class FailureInfo(TypedDict):
    code: str
    message: str


class RunRecord(TypedDict, total=False):
    runId: str
    scope: RunScope
    trigger: RunTrigger
    entraTenantId: Optional[str]
    status: RunStatus
    startedAtMs: int
    finishedAtMs: Optional[int]
    heartbeatAtMs: Optional[int]
    tenantsTotal: int
    tenantsSucceeded: int
    tenantsFailed: int
    counters: Counters
    clientId: Optional[str]
    tenantsSkipped: int
    error: Optional[FailureInfo]
    discovery: Optional[DiscoverySummary]


class DiscoverySummary(TypedDict):
    listingComplete: bool
    inserted: int
    updated: int
    notListed: int
    unchanged: int


class DiscoveryRunReport(TypedDict):
    run: RunRecord
    report: Optional[DiscoveryReport]
    joined: bool


class TenantRunResult(TypedDict, total=False):
    runId: str
    entraTenantId: str
    clientId: Optional[str]
    outcome: Literal["succeeded", "failed", "skipped"]
    mode: Optional[Literal["full", "delta"]]
    listingComplete: bool
    dryRun: bool
    counters: Counters
    warnings: List[Warning]
    error: Optional[FailureInfo]
    durationMs: int
    finishedAtMs: int
    licenseSummary: LicenseSummary
    skipReason: Optional[str]


class RunReport(TypedDict):
    run: RunRecord
    results: List[TenantRunResult]
    plans: List[SyncPlan]
    joined: bool
    dryRun: bool


class ProgressEvent(TypedDict, total=False):
    """``event`` is runStarted, tenantStarted, tenantFinished or runFinished."""

    event: Literal["runStarted", "tenantStarted", "tenantFinished", "runFinished"]
    runId: str
    entraTenantId: str
    tenantsTotal: int
    tenantsAlreadyDone: int
    tenantsDone: int
    outcome: Literal["succeeded", "failed", "skipped"]
    counters: Counters
    totals: Counters
    status: RunStatus


class QueueItem(TypedDict, total=False):
    """An identity waiting for an operator (ambiguous match or conflict)."""

    entraTenantId: str
    entraObjectId: str
    kind: Literal["ambiguous", "conflict"]
    state: Literal["open", "resolved", "dismissed"]
    reason: Optional[str]
    candidateContactIds: List[str]
    displayName: Optional[str]
    userPrincipalName: Optional[str]
    resolution: Optional[Resolution]


#: Any JSON value, for functions reached through ``call``.
Json = Union[Dict[str, Any], List[Any], str, int, float, bool, None]
