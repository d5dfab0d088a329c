"""entra_sync: keep a PSA's client contacts in step with Microsoft Entra tenants.

The decisions come from a Rust core shared with the Node and Rust hosts, so every language gets
byte-identical plans:

* pure functions over plain dicts in the canonical contract shape (camelCase keys):
  :func:`filter_users`, :func:`validate_patterns`, :func:`plan_tenant_sync`, :func:`apply_plan`,
  :func:`preview_mappings`, :func:`merge_discovery`, :func:`plan_mapping_changes`, :func:`run_id`,
  :func:`summarize_licenses`,
  and :func:`call` for any core function by name; :class:`ClientIndex` indexes the clients once
  for many mapping previews;
* one exception hierarchy under :class:`EntraSyncError`, whose ``.code`` is the stable code.

Rust log events reach the ``entra_sync`` logger of :mod:`logging`.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, AsyncIterator, Dict

from . import _native
from ._stores import MemoryStore, SqliteStore
from ._native import (
    AuthError,
    CancelToken,
    CippProvider,
    ClientIndex,
    ConfigurationError,
    ConsentRequired,
    EntraSyncError,
    GraphProvider,
    InvalidInput,
    InvalidPattern,
    MappingConflict,
    Sandbox,
    SandboxError,
    StaleMapping,
    StoreError,
    SyncEngine,
    Throttled,
    UpstreamError,
    Unsupported,
    __version__,
    apply_plan,
    authorize_url,
    call,
    cipp_secrets,
    call_async,
    exchange_code,
    filter_users,
    functions,
    merge_discovery,
    plan_mapping_changes,
    plan_tenant_sync,
    preview_mappings,
    refresh_log_level,
    refresh_tokens,
    run_id,
    summarize_licenses,
    validate_patterns,
    verify_state,
)

#: The pure functions with a named wrapper; any other core function is reachable through `call`.
NAMED_FUNCTIONS = (
    "filter_users",
    "validate_patterns",
    "plan_tenant_sync",
    "apply_plan",
    "preview_mappings",
    "merge_discovery",
    "plan_mapping_changes",
    "summarize_licenses",
)


def run(awaitable_factory: Any, *args: Any, **kwargs: Any) -> Any:
    """Runs one asynchronous call to completion from synchronous code (a script, a REPL).

    ``awaitable_factory`` is an async method or function, called inside a fresh event loop
    (the native awaitables must be created while a loop is running)::

        users = entra_sync.run(provider.list_users, tenant_id)
    """

    async def _main() -> Any:
        result = awaitable_factory(*args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result

    return asyncio.run(_main())


async def sync_all_events(engine: SyncEngine, **options: Any) -> AsyncIterator[Dict[str, Any]]:
    """Runs ``engine.sync_all(**options)`` and yields its progress events as they happen, then
    the final ``RunReport`` as ``{"event": "report", "report": ...}``::

        async for event in entra_sync.sync_all_events(engine, request_key="nightly"):
            print(event["event"])

    An error of the run is raised after the events that preceded it.
    """
    if "on_progress" in options:
        raise TypeError("sync_all_events delivers progress itself; do not pass on_progress")
    loop = asyncio.get_running_loop()
    queue: "asyncio.Queue[Dict[str, Any]]" = asyncio.Queue()
    run = asyncio.ensure_future(
        engine.sync_all(
            on_progress=lambda event: loop.call_soon_threadsafe(queue.put_nowait, event),
            **options,
        )
    )
    while True:
        getter = asyncio.ensure_future(queue.get())
        done, _ = await asyncio.wait({getter, run}, return_when=asyncio.FIRST_COMPLETED)
        if getter in done:
            yield getter.result()
            continue
        getter.cancel()
        # Events scheduled before the run finished are already queued.
        await asyncio.sleep(0)
        while not queue.empty():
            yield queue.get_nowait()
        yield {"event": "report", "report": run.result()}
        return


class Blocking:
    """A synchronous view of an object with async methods, for scripts::

        graph = entra_sync.Blocking(entra_sync.GraphProvider(settings))
        listing = graph.list_users(tenant_id)

    Every method call runs in its own event loop; plain attributes pass through unchanged.
    """

    def __init__(self, target: Any) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if not callable(attr):
            return attr

        def call_blocking(*args: Any, **kwargs: Any) -> Any:
            return run(attr, *args, **kwargs)

        call_blocking.__name__ = name
        call_blocking.__doc__ = getattr(attr, "__doc__", None)
        return call_blocking

    def __repr__(self) -> str:
        return f"Blocking({self._target!r})"


__all__ = [
    "AuthError",
    "Blocking",
    "CancelToken",
    "CippProvider",
    "ClientIndex",
    "ConfigurationError",
    "ConsentRequired",
    "EntraSyncError",
    "GraphProvider",
    "InvalidInput",
    "InvalidPattern",
    "MappingConflict",
    "MemoryStore",
    "NAMED_FUNCTIONS",
    "Sandbox",
    "SandboxError",
    "SqliteStore",
    "StaleMapping",
    "StoreError",
    "SyncEngine",
    "Throttled",
    "UpstreamError",
    "Unsupported",
    "__version__",
    "apply_plan",
    "authorize_url",
    "call",
    "call_async",
    "cipp_secrets",
    "exchange_code",
    "filter_users",
    "functions",
    "merge_discovery",
    "plan_mapping_changes",
    "plan_tenant_sync",
    "preview_mappings",
    "refresh_log_level",
    "refresh_tokens",
    "run",
    "run_id",
    "summarize_licenses",
    "sync_all_events",
    "validate_patterns",
    "verify_state",
]
