"""The two stores: their calls are forwarded by name to the Rust host layer (``StoreCall``), which
reads the arguments, calls the store and shapes the answer; each returns an awaitable."""

from __future__ import annotations

from typing import Any, Awaitable, Dict, List, Optional

from . import _native
from .types import (
    AccountConnection,
    Client,
    ConnectionChange,
    ConnectionStatusReport,
    Contact,
    ManagedTenant,
    QueueItem,
    Resolution,
    ResolvedSettings,
    RunRecord,
    SettingsOverrides,
    SyncSettings,
    TenantMapping,
    TenantRunResult,
)


class _StoreCalls:
    """What both stores answer: the host seeds its CRM records, reads what sync wrote, answers
    the reconciliation queue, keeps settings and manages its connection."""

    __slots__ = ()

    def upsert_clients(self, clients: List[Client]) -> Awaitable[None]:
        """Adds or replaces the host's clients (mapping candidates)."""
        return self._call("upsert_clients", clients)

    def upsert_contacts(self, contacts: List[Contact]) -> Awaitable[None]:
        """Adds or replaces the host's contacts."""
        return self._call("upsert_contacts", contacts)

    def load_tenants(self) -> Awaitable[List[ManagedTenant]]:
        """The stored managed tenants."""
        return self._call("load_tenants")

    def load_mappings(self) -> Awaitable[List[TenantMapping]]:
        """The current mappings (mapped and skipped tenants)."""
        return self._call("load_mappings")

    def load_queue(self, tenant_id: Optional[str] = None) -> Awaitable[List[QueueItem]]:
        """The reconciliation queue of one tenant, or of every tenant."""
        return self._call("load_queue", tenant_id)

    def resolve_queue_item(self, tenant_id: str, resolution: Resolution) -> Awaitable[None]:
        """Records an operator's answer to a queued identity; it sticks across runs."""
        return self._call("resolve_queue_item", tenant_id, resolution)

    def load_run(self, run_id: str) -> Awaitable[Optional[RunRecord]]:
        """One run record, or None."""
        return self._call("load_run", run_id)

    def load_tenant_results(self, run_id: str) -> Awaitable[List[TenantRunResult]]:
        """The per-tenant results of a run."""
        return self._call("load_tenant_results", run_id)

    def load_sync_settings(self, tenant_id: str) -> Awaitable[SyncSettings]:
        """A tenant's sync settings (the defaults when none were saved)."""
        return self._call("load_sync_settings", tenant_id)

    def save_sync_settings(self, tenant_id: str, settings: SyncSettings) -> Awaitable[None]:
        """Saves a tenant's sync settings (field toggles, patterns, safety limits)."""
        return self._call("save_sync_settings", tenant_id, settings)

    def snapshot(self) -> Awaitable[Dict[str, Any]]:
        """Everything the store holds, for inspection and tests."""
        return self._call("snapshot")

    def load_settings_overrides(self, tenant_id: Optional[str] = None) -> Awaitable[SettingsOverrides]:
        """A settings layer: the account-wide defaults (``tenant_id=None``) or one tenant's
        overrides (only the fields it sets)."""
        return self._call("load_settings_overrides", tenant_id)

    def save_settings_overrides(
        self, overrides: SettingsOverrides, tenant_id: Optional[str] = None
    ) -> Awaitable[None]:
        """Replaces a settings layer (``tenant_id=None``: the account-wide defaults); ``{}``
        forgets it. Unknown keys and a ``syncIntervalMinutes`` outside 5..=10080 raise
        ``InvalidInput``."""
        return self._call("save_settings_overrides", overrides, tenant_id)

    def resolve_sync_settings(self, tenant_id: str) -> Awaitable[ResolvedSettings]:
        """A tenant's effective settings and, per field, ``{value, source}`` with source
        ``default``, ``account`` or ``tenant``."""
        return self._call("resolve_sync_settings", tenant_id)

    def connection_status(self) -> Awaitable[ConnectionStatusReport]:
        """The account's connections: ``{active, history}``."""
        return self._call("connection_status")

    def connect(self, connection_type: str) -> Awaitable[ConnectionChange]:
        """Connects with ``connection_type`` (``"direct"`` or ``"cipp"``):
        ``{connection, secretsToClear}``; the host deletes ``secretsToClear`` (the other type's
        secret names) from its vault."""
        return self._call("connect", connection_type)

    def record_validation(self, report: Dict[str, Any]) -> Awaitable[AccountConnection]:
        """Records a provider's validation report (``{ok, checks}``) on the active connection:
        ``connected`` or ``validation_failed``. Raises ``NotFound`` without an active
        connection."""
        return self._call("record_validation", report)

    def disconnect(self) -> Awaitable[ConnectionChange]:
        """Disconnects: ``{connection, secretsToClear}`` with BOTH types' secret names for the
        host to delete. Mappings, links and run history are kept."""
        return self._call("disconnect")


class MemoryStore(_StoreCalls, _native.MemoryStore):
    """The reference in-memory store: for tests, demos and embedding. ``account_id``: the PSA
    account it serves (default ``"default"``)."""

    __slots__ = ()


class SqliteStore(_StoreCalls, _native.SqliteStore):
    """The durable embedded store: one SQLite file (created with its schema when missing).
    ``account_id``: the PSA account this store serves in the database (default ``"default"``);
    one file holds many accounts, each store reads and writes only its own. ``path=None`` opens a
    private in-memory database, gone when the store is dropped."""

    __slots__ = ()

    @classmethod
    def in_memory(cls) -> "SqliteStore":
        """A private in-memory database, gone when the store is dropped."""
        return cls(None)
