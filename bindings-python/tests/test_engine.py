"""SyncEngine end to end against the sandbox, from asyncio, over both stores: discovery, mapping,
dry run, sync, progress, idempotency, a half-failed listing, throttling, per-tenant isolation,
joining a running run and cancellation."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

import entra_sync


@pytest.fixture
def sandbox() -> Iterator[entra_sync.Sandbox]:
    with entra_sync.Sandbox.start({"seed": 11, "tenants": 4, "usersPerTenant": 14}) as sb:
        yield sb


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "memory":
        return entra_sync.MemoryStore()
    return entra_sync.SqliteStore(tmp_path / "sync.sqlite")


async def mapped_engine(sandbox: entra_sync.Sandbox, store: Any) -> entra_sync.SyncEngine:
    """An engine whose store holds the sandbox's CRM and every tenant mapped to its client."""
    engine = entra_sync.SyncEngine(entra_sync.GraphProvider(sandbox.graph_settings()), store)
    await store.upsert_clients(sandbox.crm_clients())
    await store.upsert_contacts(sandbox.crm_contacts())
    discovery = await engine.discover()
    assert discovery["listingComplete"] is True
    operations = [
        {"kind": "confirm", "entraTenantId": t["tenantId"], "clientId": t["crmClientId"]}
        for t in sandbox.tenants()
        if t["crmClientId"]
    ]
    assert operations
    await engine.apply_mapping_changes(operations)
    return engine


def contact_changes(plan: Dict[str, Any]) -> List[Dict[str, Any]]:
    return [a for a in plan["actions"] if a["kind"] not in ("queue_ambiguous", "conflict")]


@pytest.mark.asyncio
async def test_discover_preview_and_map(sandbox: entra_sync.Sandbox, store: Any) -> None:
    engine = entra_sync.SyncEngine(entra_sync.GraphProvider(sandbox.graph_settings()), store)
    await store.upsert_clients(sandbox.crm_clients())
    await engine.discover()
    tenants = await store.load_tenants()
    assert sorted(t["entraTenantId"] for t in tenants) == sorted(t["tenantId"] for t in sandbox.tenants())
    preview = await engine.preview_mappings()
    exact = {t["tenantId"]: t["crmClientId"] for t in sandbox.tenants() if t["crmMatch"] == "exact_domain"}
    auto = {m["entraTenantId"]: m["match"]["clientId"] for m in preview["autoMatched"]}
    for tenant, client in exact.items():
        assert auto.get(tenant) == client
    # A contradictory batch writes nothing and raises MappingConflict.
    tid = sandbox.tenants()[0]["tenantId"]
    with pytest.raises(entra_sync.MappingConflict):
        await engine.apply_mapping_changes(
            [
                {"kind": "confirm", "entraTenantId": tid, "clientId": "a"},
                {"kind": "confirm", "entraTenantId": tid, "clientId": "b"},
            ]
        )
    assert await store.load_mappings() == []


@pytest.mark.asyncio
async def test_dry_run_then_sync_then_idempotent(sandbox: entra_sync.Sandbox, store: Any) -> None:
    engine = await mapped_engine(sandbox, store)
    before = await store.snapshot()
    dry = await engine.sync_all(dry_run=True, request_key="dry")
    assert dry["dryRun"] is True
    assert await store.snapshot() == before, "a dry run must write nothing"
    assert any(contact_changes(p) for p in dry["plans"])

    events: List[Dict[str, Any]] = []
    first = await engine.sync_all(request_key="first", on_progress=events.append)
    assert first["run"]["status"] == "completed"
    kinds = [e["event"] for e in events]
    assert kinds[0] == "runStarted" and kinds[-1] == "runFinished", kinds
    assert kinds.count("tenantFinished") == len(first["results"])
    assert events[-1]["status"] == "completed"
    assert sum(len(contact_changes(p)) for p in first["plans"]) > 0

    again = await engine.sync_all(request_key="second", use_delta=False)
    assert again["run"]["status"] == "completed"
    assert [contact_changes(p) for p in again["plans"]] == [[] for _ in again["plans"]]


@pytest.mark.asyncio
async def test_a_half_failed_listing_inactivates_nobody(sandbox: entra_sync.Sandbox, store: Any) -> None:
    engine = await mapped_engine(sandbox, store)
    await engine.sync_all(request_key="initial")
    mapping = (await store.load_mappings())[0]
    tid = mapping["entraTenantId"]
    # Make every person but the first page disappear: a failing second page.
    settings = sandbox.graph_settings()
    settings["usersPageSize"] = 4
    paged = entra_sync.SyncEngine(entra_sync.GraphProvider(settings), store)
    sandbox.update_faults({"failingPage": {tid: 1}})
    report = await paged.sync_tenant(mapping, use_delta=False)
    assert report["listingComplete"] is False
    assert [a for a in report["plan"]["actions"] if a["kind"] == "inactivate"] == []


@pytest.mark.asyncio
async def test_throttling_and_a_failing_tenant(sandbox: entra_sync.Sandbox, store: Any) -> None:
    await mapped_engine(sandbox, store)
    mappings = await store.load_mappings()
    broken = mappings[0]["entraTenantId"]
    sandbox.update_faults(
        {"graphThrottleNext": 3, "retryAfterSecs": 0, "tokenErrors": {broken: "consent_missing"}}
    )
    # A fresh provider, so no customer token is cached from discovery.
    engine = entra_sync.SyncEngine(entra_sync.GraphProvider(sandbox.graph_settings()), store)
    report = await engine.sync_all(request_key="faulty")
    assert report["run"]["status"] == "partial"
    outcomes = {r["entraTenantId"]: r for r in report["results"]}
    assert outcomes[broken]["outcome"] == "failed"
    assert outcomes[broken]["error"]["code"] == "consent_required"
    assert all(r["outcome"] == "succeeded" for t, r in outcomes.items() if t != broken)


@pytest.mark.asyncio
async def test_the_same_request_key_is_one_run(sandbox: entra_sync.Sandbox, store: Any) -> None:
    engine = await mapped_engine(sandbox, store)
    sandbox.update_faults({"latency": 0.02})
    a, b = await asyncio.gather(
        engine.sync_all(request_key="double-click"), engine.sync_all(request_key="double-click")
    )
    assert a["run"]["runId"] == b["run"]["runId"]
    assert sorted([a["joined"], b["joined"]]) == [False, True]


@pytest.mark.asyncio
async def test_cancellation_and_resume(sandbox: entra_sync.Sandbox, store: Any) -> None:
    engine = await mapped_engine(sandbox, store)
    token = entra_sync.CancelToken()
    token.cancel()
    assert token.cancelled
    cancelled = await engine.sync_all(request_key="stop", cancel=token, concurrency=1)
    assert cancelled["run"]["status"] == "cancelled"
    resumed = await engine.sync_all(request_key="stop")
    assert resumed["run"]["status"] == "completed"
    assert resumed["run"]["runId"] == cancelled["run"]["runId"]


@pytest.mark.asyncio
async def test_sync_tenant_requires_a_mapping(sandbox: entra_sync.Sandbox, store: Any) -> None:
    engine = entra_sync.SyncEngine(entra_sync.GraphProvider(sandbox.graph_settings()), store)
    with pytest.raises(entra_sync.EntraSyncError) as info:
        await engine.sync_tenant({"entraTenantId": "t", "state": "skipped"})
    assert info.value.code == "not_mapped"


def test_engine_arguments_are_checked(sandbox: entra_sync.Sandbox) -> None:
    with pytest.raises(entra_sync.InvalidInput):
        entra_sync.SyncEngine(entra_sync.GraphProvider(sandbox.graph_settings()), object())
    with pytest.raises(entra_sync.InvalidInput):
        entra_sync.SyncEngine(object(), entra_sync.MemoryStore())


@pytest.mark.parametrize("kwargs,named", [({"concurrency": 0}, "concurrency"), ({"trigger": "hourly"}, "trigger")])
def test_sync_all_options_are_checked_before_the_run(
    sandbox: entra_sync.Sandbox, kwargs: Dict[str, Any], named: str
) -> None:
    engine = entra_sync.SyncEngine(entra_sync.GraphProvider(sandbox.graph_settings()), entra_sync.MemoryStore())
    with pytest.raises(entra_sync.InvalidInput) as info:
        engine.sync_all(**kwargs)
    assert f"`{named}`" in str(info.value)


def test_sqlite_store_errors_are_store_errors(tmp_path: Path) -> None:
    with pytest.raises(entra_sync.StoreError) as info:
        entra_sync.SqliteStore(tmp_path / "missing-dir" / "x" / "sync.sqlite")
    assert info.value.code.startswith("store_")


@pytest.mark.asyncio
async def test_progress_as_an_async_iterator(sandbox: entra_sync.Sandbox, store: Any) -> None:
    engine = await mapped_engine(sandbox, store)
    events = [e async for e in entra_sync.sync_all_events(engine, request_key="iter")]
    names = [e["event"] for e in events]
    assert names[0] == "runStarted"
    assert names[-2:] == ["runFinished", "report"]
    report = events[-1]["report"]
    assert names.count("tenantFinished") == len(report["results"])


@pytest.mark.asyncio
async def test_engine_results_match_their_typed_dicts(sandbox: entra_sync.Sandbox, store: Any) -> None:
    from entra_sync import types
    from test_stubs import undeclared_keys

    engine = await mapped_engine(sandbox, store)
    discovery = await engine.discover()
    assert undeclared_keys(discovery, types.DiscoveryReport) == []
    report = await engine.sync_all(request_key="typed")
    assert undeclared_keys(report, types.RunReport) == []
    mapping = (await store.load_mappings())[0]
    tenant = await engine.sync_tenant(mapping, dry_run=True)
    assert undeclared_keys(tenant, types.TenantSyncReport) == []
    assert undeclared_keys(await store.load_queue(), List[types.QueueItem]) == []
