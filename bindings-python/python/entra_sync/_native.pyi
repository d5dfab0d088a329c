"""Type stubs of the native module `entra_sync._native` (checked against the module by a test)."""

import os
from types import TracebackType
from typing import (
    Any,
    Awaitable,
    Callable,
    Dict,
    List,
    Literal,
    Optional,
    Type,
    TypedDict,
    Union,
    overload,
)

from typing_extensions import Unpack

from entra_sync.types import (
    AccountConnection,
    CippSecrets,
    ConnectionChange,
    ConnectionStatusReport,
    DiscoveryRunReport,
    ResolvedSettings,
    SettingsOverrides,
    ApplyPlanInput,
    AuthorizationStart,
    CippSettings,
    Client,
    Contact,
    DeltaListing,
    DiscoveryReport,
    EntraUser,
    FilterInput,
    FilterInputsOutput,
    FilterOutput,
    FilterPositions,
    GraphSettings,
    Json,
    MappingChangesInput,
    MappingChangesOutput,
    MergeDiscoveryInput,
    MergeDiscoveryOutput,
    LicenseInput,
    LicenseSummary,
    PlanInput,
    PreviewInput,
    PreviewOptions,
    ProgressEvent,
    QueueItem,
    Resolution,
    RunRecord,
    RunReport,
    SyncSettings,
    TenantMapping,
    TenantRunResult,
    TenantSyncReport,
    ManagedTenant,
    MappingOperation,
    PreviewOutput,
    RunKey,
    SandboxConfig,
    SandboxCredentials,
    SandboxFaults,
    SandboxMutation,
    SandboxTenant,
    SignInSettings,
    StateClaims,
    SyncPlan,
    TenantListing,
    TokenSet,
    UserListing,
    ValidatePatternsInput,
    ValidatePatternsOutput,
    ValidationReport,
)

__version__: str

# ---- errors ---------------------------------------------------------------------------------

class EntraSyncError(Exception):
    """Base class of every error raised by entra_sync."""

    code: str
    """The stable machine-readable code (e.g. ``invalid_input``, ``throttled``, ``internal``)."""
    details: Optional[Dict[str, Any]]
    """Structured fields of the failure (HTTP status, request id, conflicting tenant), or None."""

class InvalidInput(EntraSyncError):
    code: str
    details: Optional[Dict[str, Any]]

class InvalidPattern(EntraSyncError):
    code: str
    details: Optional[Dict[str, Any]]

class MappingConflict(EntraSyncError):
    code: str
    details: Optional[Dict[str, Any]]

class StaleMapping(EntraSyncError):
    code: str
    details: Optional[Dict[str, Any]]

class ConsentRequired(EntraSyncError):
    code: str
    details: Optional[Dict[str, Any]]

class AuthError(EntraSyncError):
    code: str
    details: Optional[Dict[str, Any]]

class Throttled(EntraSyncError):
    code: str
    details: Optional[Dict[str, Any]]

class UpstreamError(EntraSyncError):
    code: str
    details: Optional[Dict[str, Any]]

class ConfigurationError(EntraSyncError):
    code: str
    details: Optional[Dict[str, Any]]

class Unsupported(EntraSyncError):
    code: str
    details: Optional[Dict[str, Any]]

class StoreError(EntraSyncError):
    code: str
    details: Optional[Dict[str, Any]]

class SandboxError(EntraSyncError):
    code: str
    details: Optional[Dict[str, Any]]

# ---- pure functions -------------------------------------------------------------------------

def call(function: str, input: Json) -> Any:
    """Runs any core function by name on an input in the canonical contract shape."""

def call_async(function: str, input: Json) -> Awaitable[Any]:
    """Like `call`, on a worker thread, so the event loop does not block."""

def functions() -> List[str]:
    """The names `call` accepts."""

@overload
def filter_users(input: FilterInput, *, returns: Literal["records"] = ...) -> FilterOutput: ...
@overload
def filter_users(input: FilterInput, *, returns: Literal["inputs"]) -> FilterInputsOutput: ...
@overload
def filter_users(input: FilterInput, *, returns: Literal["positions"]) -> FilterPositions: ...
def validate_patterns(
    input: Union[List[str], ValidatePatternsInput],
) -> ValidatePatternsOutput: ...
def plan_tenant_sync(input: PlanInput) -> SyncPlan: ...
def apply_plan(
    input: Union[PlanInput, ApplyPlanInput], plan: Optional[SyncPlan] = None
) -> PlanInput: ...
def preview_mappings(input: PreviewInput) -> PreviewOutput: ...

class ClientIndex:
    """The PSA's clients and the preview options, indexed once for many mapping previews.

    ``index.preview({"tenants": [...], "mappings": [...]})`` returns exactly what
    ``preview_mappings`` returns for that input with these clients and options.
    """

    def __init__(
        self, clients: List[Client], options: Optional[PreviewOptions] = None
    ) -> None: ...
    def preview(self, input: Dict[str, Any]) -> PreviewOutput: ...
    def __len__(self) -> int: ...
def merge_discovery(input: MergeDiscoveryInput) -> MergeDiscoveryOutput: ...
def plan_mapping_changes(input: MappingChangesInput) -> MappingChangesOutput: ...
def summarize_licenses(input: LicenseInput) -> LicenseSummary:
    """Per SKU: purchased, assigned, held by enabled members, disabled users and guests
    (reclaimable); per licensed user: the SKU part numbers."""
def run_id(key: RunKey, attempt: int = 1) -> str: ...

# ---- partner sign-in ------------------------------------------------------------------------

def authorize_url(
    settings: SignInSettings, signing_key: str, host_tenant: str, host_user: str
) -> AuthorizationStart:
    """A partner sign-in: `{url, state, claims, codeVerifier}` (PKCE S256, signed state)."""

def verify_state(
    state: str,
    signing_key: str,
    expected_tenant: str,
    expected_user: str,
    redirect_uri: str,
    ttl: Optional[float] = None,
    consume_nonce: Optional[Callable[[str, int], bool]] = None,
) -> StateClaims:
    """The claims of a callback's state, or `AuthError` with a `state_*` code.

    With `consume_nonce(nonce, expires_at_ms) -> bool` (atomic: record the nonce, return False
    when it was already used) the state is single-use: a replay is `state_replayed`."""

def exchange_code(settings: SignInSettings, code: str, code_verifier: str) -> Awaitable[TokenSet]: ...
def refresh_tokens(
    settings: SignInSettings, refresh_token: str, scope: Optional[str] = None
) -> Awaitable[TokenSet]: ...

# ---- logging --------------------------------------------------------------------------------

def refresh_log_level() -> None:
    """Re-reads the level of the ``entra_sync`` logger now (it is also re-read on every call)."""

# ---- providers ------------------------------------------------------------------------------

class GraphProvider:
    """Microsoft Graph with the MSP's partner (GDAP) access; methods return awaitables."""

    def __init__(
        self,
        settings: GraphSettings,
        on_tokens_rotated: Optional[Callable[[TokenSet], Any]] = None,
    ) -> None: ...
    @property
    def connection_type(self) -> str: ...
    @property
    def supports_delta(self) -> bool: ...
    def list_managed_tenants(self) -> Awaitable[TenantListing]: ...
    def list_users(self, tenant_id: str) -> Awaitable[UserListing]: ...
    def list_users_delta(
        self, tenant_id: str, delta_link: Optional[str] = None
    ) -> Awaitable[DeltaListing]: ...
    def validate(self) -> Awaitable[ValidationReport]: ...

class CippProvider:
    """The CIPP API; methods return awaitables. Delta queries raise `Unsupported`."""

    def __init__(self, settings: CippSettings) -> None: ...
    @property
    def connection_type(self) -> str: ...
    @property
    def supports_delta(self) -> bool: ...
    def list_managed_tenants(self) -> Awaitable[TenantListing]: ...
    def list_users(self, tenant_id: str) -> Awaitable[UserListing]: ...
    def list_users_delta(
        self, tenant_id: str, delta_link: Optional[str] = None
    ) -> Awaitable[DeltaListing]: ...
    def validate(self, probe_tenant: Optional[str] = None) -> Awaitable[ValidationReport]: ...

# ---- sandbox --------------------------------------------------------------------------------

class Sandbox:
    """Loopback Microsoft login + Graph + CIPP services over a synthetic MSP estate."""

    @staticmethod
    def start(config: Optional[SandboxConfig] = None) -> Sandbox: ...
    @property
    def login_base_url(self) -> str: ...
    @property
    def graph_base_url(self) -> str: ...
    @property
    def cipp_base_url(self) -> str: ...
    @property
    def credentials(self) -> SandboxCredentials: ...
    @property
    def running(self) -> bool: ...
    def graph_settings(self) -> GraphSettings: ...
    def cipp_settings(self) -> CippSettings: ...
    def partner_tenant(self) -> SandboxTenant: ...
    def tenants(self) -> List[SandboxTenant]: ...
    def users(self, tenant_id: str) -> List[Dict[str, Any]]: ...
    def expected_users(self, tenant_id: str) -> List[EntraUser]: ...
    def crm_clients(self) -> List[Client]: ...
    def crm_contacts(self) -> List[Contact]: ...
    def mutate(self, mutation: SandboxMutation) -> str: ...
    def faults(self) -> SandboxFaults: ...
    def set_faults(self, faults: SandboxFaults) -> None: ...
    def update_faults(self, faults: SandboxFaults) -> None: ...
    def request_count(self, path: str) -> int: ...
    def request_counts(self) -> Dict[str, int]: ...
    def reset_request_counts(self) -> None: ...
    def revoke_access_tokens(self) -> None: ...
    def revoke_refresh_tokens(self) -> None: ...
    def expire_delta_tokens(self) -> None: ...
    def shutdown(self) -> None: ...
    def __enter__(self) -> Sandbox: ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...

def cipp_secrets(settings: Dict[str, Any]) -> CippSecrets: ...

# ---- stores and engine ----------------------------------------------------------------------

class MemoryStore:
    """The native in-memory store; `entra_sync.MemoryStore` gives it its calls."""

    def __init__(self, account_id: Optional[str] = None) -> None: ...
    @property
    def account_id(self) -> str: ...
    def _call(self, method: str, *args: Any) -> Awaitable[Any]: ...

class SqliteStore:
    """The native SQLite store; `entra_sync.SqliteStore` gives it its calls."""

    def __init__(
        self, path: Optional[Union[str, "os.PathLike[str]"]], account_id: Optional[str] = None
    ) -> None: ...
    @property
    def account_id(self) -> str: ...
    def _call(self, method: str, *args: Any) -> Awaitable[Any]: ...

class CancelToken:
    """Stops a `sync_all` run between tenants; the run can be resumed with the same key."""

    def __init__(self) -> None: ...
    def cancel(self) -> None: ...
    @property
    def cancelled(self) -> bool: ...

class _RunOptions(TypedDict, total=False):
    """The keyword options of `SyncEngine.sync_all` and `sync_client` (all optional)."""

    dry_run: bool
    use_delta: bool
    concurrency: int
    trigger: str
    request_key: Optional[str]
    bucket_seconds: int
    on_progress: Optional[Callable[[ProgressEvent], Any]]
    cancel: Optional[CancelToken]

class SyncEngine:
    """Discovery, mapping and contact sync over a provider and a store."""

    def __init__(
        self,
        provider: Union[GraphProvider, CippProvider],
        store: Union[MemoryStore, SqliteStore],
    ) -> None: ...
    def discover(self) -> Awaitable[DiscoveryReport]: ...
    def preview_mappings(self, options: Optional[PreviewOptions] = None) -> Awaitable[PreviewOutput]: ...
    def apply_mapping_changes(
        self, operations: List[MappingOperation]
    ) -> Awaitable[MappingChangesOutput]: ...
    def sync_tenant(
        self, mapping: TenantMapping, dry_run: bool = False, use_delta: bool = True
    ) -> Awaitable[TenantSyncReport]: ...
    def sync_all(self, **options: Unpack[_RunOptions]) -> Awaitable[RunReport]: ...
    def sync_client(
        self, client_id: str, **options: Unpack[_RunOptions]
    ) -> Awaitable[RunReport]: ...
    def discover_run(
        self,
        trigger: str = "manual",
        request_key: Optional[str] = None,
        bucket_seconds: int = 300,
    ) -> Awaitable[DiscoveryRunReport]: ...
