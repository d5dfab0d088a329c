"""Account namespaces, layered settings, the connection lifecycle and the new run scopes through
the Python surface (the logic lives in Rust; these prove the binding converts it faithfully)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

import entra_sync


@pytest.fixture
def sandbox() -> Iterator[entra_sync.Sandbox]:
    with entra_sync.Sandbox.start({"seed": 5, "tenants": 3, "usersPerTenant": 6}) as sb:
        yield sb


def pair(kind: str, tmp_path: Path) -> Any:
    """Two stores of different accounts over one backing."""
    if kind == "memory":
        return entra_sync.MemoryStore(account_id="acme"), entra_sync.MemoryStore(account_id="globex")
    path = tmp_path / "shared.sqlite"
    return entra_sync.SqliteStore(path, account_id="acme"), entra_sync.SqliteStore(path, account_id="globex")


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", ["memory", "sqlite"])
async def test_accounts_do_not_see_each_others_records(kind: str, tmp_path: Path) -> None:
    a, b = pair(kind, tmp_path)
    assert (a.account_id, b.account_id) == ("acme", "globex")
    assert entra_sync.MemoryStore().account_id == "default"
    await a.upsert_clients([{"clientId": "c1", "clientName": "Contoso"}])
    await a.save_settings_overrides({"syncEnabled": False})
    await a.connect("direct")
    assert (await b.snapshot())["clients"] == []
    assert (await b.connection_status())["active"] is None
    resolved = await b.resolve_sync_settings("t1")
    assert resolved["fields"]["syncEnabled"] == {"value": True, "source": "default"}


@pytest.mark.parametrize("bad", ["", "  ", " padded"])
def test_bad_account_ids_raise_store_error(bad: str, tmp_path: Path) -> None:
    with pytest.raises(entra_sync.EntraSyncError) as err:
        entra_sync.MemoryStore(account_id=bad)
    assert err.value.code == "invalid_input"
    with pytest.raises(entra_sync.EntraSyncError):
        entra_sync.SqliteStore(tmp_path / "x.sqlite", account_id=bad)


@pytest.mark.asyncio
async def test_settings_resolve_in_layers_with_sources() -> None:
    store = entra_sync.MemoryStore()
    await store.save_settings_overrides({"syncIntervalMinutes": 60, "syncEnabled": False})
    await store.save_settings_overrides({"syncEnabled": True}, tenant_id="t1")
    # (tenant, field, value, source)
    cases = [
        ("t1", "syncEnabled", True, "tenant"),
        ("t1", "syncIntervalMinutes", 60, "account"),
        ("t2", "syncEnabled", False, "account"),
        ("t2", "allowMassInactivation", False, "default"),
    ]
    for tenant, field, value, source in cases:
        resolved = await store.resolve_sync_settings(tenant)
        assert resolved["fields"][field] == {"value": value, "source": source}, (tenant, field)
        assert resolved["effective"][field] == value
    assert await store.load_settings_overrides(tenant_id="t1") == {"syncEnabled": True}
    for bad in [{"syncIntervalMinutes": 4}, {"syncIntervalMinutes": 10081}, {"syncEnabeld": True}]:
        with pytest.raises(entra_sync.InvalidInput):
            await store.save_settings_overrides(bad, tenant_id="t1")
    assert (await store.load_sync_settings("t1"))["syncIntervalMinutes"] == 60


@pytest.mark.asyncio
async def test_connection_lifecycle_answers_the_secrets_to_clear() -> None:
    store = entra_sync.MemoryStore()
    opened = await store.connect("direct")
    assert opened["connection"]["status"] == "connected"
    assert "entra_cipp_base_url" in opened["secretsToClear"]
    validated = await store.record_validation({"ok": False, "checks": []})
    assert validated["status"] == "validation_failed"
    assert validated["lastValidation"] == {"ok": False, "checks": []}
    switched = await store.connect("cipp")
    assert "entra_direct_refresh_token" in switched["secretsToClear"]
    closed = await store.disconnect()
    assert closed["connection"]["status"] == "disconnected"
    assert {"entra_cipp_api_token", "entra_direct_access_token"} <= set(closed["secretsToClear"])
    status = await store.connection_status()
    assert status["active"] is None
    assert [c["connectionType"] for c in status["history"]] == ["direct", "cipp"]
    with pytest.raises(entra_sync.InvalidInput):
        await store.connect("graph")
    with pytest.raises(entra_sync.StoreError) as err:
        await store.record_validation({"ok": True, "checks": []})
    assert err.value.code == "not_found"


def test_cipp_secrets_are_validated_before_the_host_writes_them() -> None:
    good = {
        "baseUrl": "https://cipp.contoso.com/",
        "clientId": "app",
        "clientSecret": "s3cr3t",
        "tenantId": "contoso.onmicrosoft.com",
    }
    out = entra_sync.cipp_secrets(good)
    assert out["secrets"]["entra_cipp_base_url"] == "https://cipp.contoso.com"
    assert out["secrets"]["entra_cipp_client_secret"] == "s3cr3t"
    for change in [{"baseUrl": "ftp://x"}, {"clientId": ""}, {"tenantId": " "}]:
        with pytest.raises(entra_sync.InvalidInput) as err:
            entra_sync.cipp_secrets({**good, **change})
        assert "s3cr3t" not in str(err.value)


@pytest.mark.asyncio
async def test_client_sync_discovery_run_and_disabled_tenants(sandbox: entra_sync.Sandbox) -> None:
    store = entra_sync.MemoryStore()
    engine = entra_sync.SyncEngine(entra_sync.GraphProvider(sandbox.graph_settings()), store)
    await store.upsert_clients(sandbox.crm_clients())
    await store.upsert_contacts(sandbox.crm_contacts())
    discovery = await engine.discover_run(request_key="d1")
    assert discovery["run"]["scope"] == "discovery"
    assert discovery["run"]["status"] == "completed"
    assert discovery["run"]["discovery"]["listingComplete"] is True
    mapped = [t for t in sandbox.tenants() if t["crmClientId"]]
    await engine.apply_mapping_changes(
        [{"kind": "confirm", "entraTenantId": t["tenantId"], "clientId": t["crmClientId"]} for t in mapped]
    )
    first = mapped[0]
    report = await engine.sync_client(first["crmClientId"], request_key="now")
    assert report["run"]["scope"] == "client"
    assert report["run"]["clientId"] == first["crmClientId"]
    assert [r["entraTenantId"] for r in report["results"]] == [first["tenantId"]]
    with pytest.raises(entra_sync.EntraSyncError) as err:
        await engine.sync_client("no-such-client")
    assert err.value.code == "not_mapped"

    await store.save_settings_overrides({"syncEnabled": False}, tenant_id=first["tenantId"])
    run = await engine.sync_all(request_key="all")
    skipped = [r for r in run["results"] if r["outcome"] == "skipped"]
    assert [(r["entraTenantId"], r["skipReason"]) for r in skipped] == [(first["tenantId"], "sync_disabled")]
    assert run["run"]["tenantsSkipped"] == 1
    assert run["run"]["tenantsFailed"] == 0
