"""GraphProvider and CippProvider end to end against the loopback sandbox, from asyncio:
listings, concurrency, throttling, a listing that fails half-way, consent, delta, validation."""

from __future__ import annotations

import asyncio
import sys
from typing import Any, Dict, Iterator, List

import pytest

import entra_sync


@pytest.fixture
def sandbox() -> Iterator[entra_sync.Sandbox]:
    with entra_sync.Sandbox.start({"seed": 7, "tenants": 3, "usersPerTenant": 12}) as sb:
        yield sb


def tenant_ids(sb: entra_sync.Sandbox) -> List[str]:
    return [t["tenantId"] for t in sb.tenants()]


def by_id(users: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    return {u["entraObjectId"]: u for u in users}


@pytest.mark.asyncio
async def test_graph_lists_every_tenant_and_user(sandbox: entra_sync.Sandbox) -> None:
    graph = entra_sync.GraphProvider(sandbox.graph_settings())
    assert graph.connection_type == "direct" and graph.supports_delta
    listing = await graph.list_managed_tenants()
    assert listing["complete"] is True
    assert sorted(t["entraTenantId"] for t in listing["tenants"]) == sorted(tenant_ids(sandbox))
    for tid in tenant_ids(sandbox):
        users = await graph.list_users(tid)
        assert users["complete"] is True and "error" not in users
        assert by_id(users["users"]) == by_id(sandbox.expected_users(tid))


@pytest.mark.asyncio
async def test_cipp_lists_the_same_estate(sandbox: entra_sync.Sandbox) -> None:
    cipp = entra_sync.CippProvider(sandbox.cipp_settings())
    assert cipp.connection_type == "cipp" and not cipp.supports_delta
    listing = await cipp.list_managed_tenants()
    assert sorted(t["entraTenantId"] for t in listing["tenants"]) == sorted(tenant_ids(sandbox))
    tid = tenant_ids(sandbox)[0]
    users = await cipp.list_users(tid)
    assert users["complete"] is True
    assert set(by_id(users["users"])) == set(by_id(sandbox.expected_users(tid)))
    with pytest.raises(entra_sync.Unsupported) as info:
        await cipp.list_users_delta(tid)
    assert info.value.code == "unsupported"


@pytest.mark.asyncio
async def test_listings_run_concurrently_with_gather(sandbox: entra_sync.Sandbox) -> None:
    graph = entra_sync.GraphProvider(sandbox.graph_settings())
    ids = tenant_ids(sandbox)
    results = await asyncio.gather(*(graph.list_users(t) for t in ids))
    assert [len(r["users"]) for r in results] == [len(sandbox.expected_users(t)) for t in ids]


@pytest.mark.asyncio
async def test_throttling_is_retried_until_success(sandbox: entra_sync.Sandbox) -> None:
    graph = entra_sync.GraphProvider(sandbox.graph_settings())
    tid = tenant_ids(sandbox)[0]
    await graph.list_users(tid)  # warm the token cache
    sandbox.reset_request_counts()
    sandbox.update_faults({"graphThrottleNext": 2, "retryAfterSecs": 0})
    users = await graph.list_users(tid)
    assert users["complete"] is True
    assert len(users["users"]) == len(sandbox.expected_users(tid))
    assert sandbox.request_count("/v1.0/users") == 3  # two 429s, then the page


@pytest.mark.asyncio
async def test_persistent_throttling_raises_throttled(sandbox: entra_sync.Sandbox) -> None:
    settings = sandbox.graph_settings()
    settings["policy"]["maxRetries"] = 2
    graph = entra_sync.GraphProvider(settings)
    tid = tenant_ids(sandbox)[0]
    await graph.list_managed_tenants()
    sandbox.update_faults({"graphThrottleRate": 1.0, "retryAfterSecs": 0})
    with pytest.raises(entra_sync.EntraSyncError) as info:
        await graph.list_users(tid)
    assert isinstance(info.value, entra_sync.Throttled)
    assert info.value.code == "throttled"


@pytest.mark.asyncio
async def test_a_listing_failing_half_way_is_incomplete(sandbox: entra_sync.Sandbox) -> None:
    settings = sandbox.graph_settings()
    settings["usersPageSize"] = 5
    graph = entra_sync.GraphProvider(settings)
    tid = tenant_ids(sandbox)[1]
    expected = sandbox.expected_users(tid)
    assert len(expected) > 5
    sandbox.update_faults({"failingPage": {tid: 1}})
    listing = await graph.list_users(tid)
    assert listing["complete"] is False
    assert len(listing["users"]) == 5
    assert listing["error"]["code"] in {"upstream_unavailable", "unexpected_response"}
    # The same listing through CIPP is never complete either.
    cipp_settings = sandbox.cipp_settings()
    cipp_settings["pageSize"] = 5
    cipp = entra_sync.CippProvider(cipp_settings)
    try:
        cipp_listing = await cipp.list_users(tid)
    except entra_sync.EntraSyncError:
        pass
    else:
        assert cipp_listing["complete"] is False


@pytest.mark.asyncio
async def test_missing_consent_raises_consent_required(sandbox: entra_sync.Sandbox) -> None:
    graph = entra_sync.GraphProvider(sandbox.graph_settings())
    tid = tenant_ids(sandbox)[2]
    sandbox.update_faults({"tokenErrors": {tid: "consent_missing"}})
    with pytest.raises(entra_sync.ConsentRequired) as info:
        await graph.list_users(tid)
    assert info.value.code == "consent_required"
    assert info.value.details["code"] == "consent_required"
    # Other tenants are unaffected.
    other = await graph.list_users(tenant_ids(sandbox)[0])
    assert other["complete"] is True


@pytest.mark.asyncio
async def test_a_bad_client_secret_is_an_auth_error_without_the_secret(sandbox: entra_sync.Sandbox) -> None:
    settings = sandbox.graph_settings()
    settings["clientSecret"] = "definitely-wrong-secret-value"
    graph = entra_sync.GraphProvider(settings)
    with pytest.raises(entra_sync.EntraSyncError) as info:
        await graph.list_managed_tenants()
    assert isinstance(info.value, entra_sync.AuthError), type(info.value)
    text = f"{info.value} {info.value.details} {info.value.__cause__}"
    assert "definitely-wrong-secret-value" not in text
    assert sandbox.credentials["partnerRefreshToken"] not in text


@pytest.mark.asyncio
async def test_delta_reports_changes_and_removals(sandbox: entra_sync.Sandbox) -> None:
    graph = entra_sync.GraphProvider(sandbox.graph_settings())
    tid = tenant_ids(sandbox)[0]
    first = await graph.list_users_delta(tid)
    assert first["fullEnumeration"] is True and first["complete"] is True
    assert first["deltaLink"]
    people = [u for u in sandbox.users(tid) if u["kind"] == "person" and u["accountEnabled"]]
    disabled, deleted = people[0]["id"], people[1]["id"]
    sandbox.mutate({"kind": "disable", "userId": disabled})
    sandbox.mutate({"kind": "soft_delete", "userId": deleted})
    second = await graph.list_users_delta(tid, first["deltaLink"])
    assert second["fullEnumeration"] is False
    changed = by_id(second["users"])
    assert changed[disabled]["accountEnabled"] is False
    assert {"entraObjectId": deleted, "reason": "changed"} in second["removed"]
    sandbox.expire_delta_tokens()
    third = await graph.list_users_delta(tid, second["deltaLink"])
    assert third["resyncRequired"] is True and third["users"] == []


@pytest.mark.asyncio
async def test_validation_reports_named_checks(sandbox: entra_sync.Sandbox) -> None:
    graph = entra_sync.GraphProvider(sandbox.graph_settings())
    report = await graph.validate()
    assert report_ok(report), report
    cipp = entra_sync.CippProvider(sandbox.cipp_settings())
    report = await cipp.validate(tenant_ids(sandbox)[0])
    assert report_ok(report), report
    # A broken connection names the failing check and its code.
    settings = sandbox.graph_settings()
    settings["clientSecret"] = "wrong"
    report = await entra_sync.GraphProvider(settings).validate()
    assert not report_ok(report)
    failed = [c for c in report["checks"] if c.get("ok") is False or c.get("status") == "failed"]
    assert failed and (failed[0].get("code") or failed[0].get("errorCode"))


def report_ok(report: Dict[str, Any]) -> bool:
    checks = report["checks"]
    each = all(c.get("ok", c.get("status") == "passed") for c in checks)
    return bool(checks) and each and report.get("ok", True)


@pytest.mark.asyncio
async def test_rotated_tokens_reach_the_callback(sandbox: entra_sync.Sandbox) -> None:
    seen: List[Dict[str, Any]] = []
    graph = entra_sync.GraphProvider(sandbox.graph_settings(), on_tokens_rotated=seen.append)
    await graph.list_managed_tenants()
    assert seen, "the partner token refresh was not reported"
    assert seen[-1]["refreshToken"] and seen[-1]["refreshToken"] != sandbox.credentials["partnerRefreshToken"]
    assert seen[-1]["expiresAt"] > 0


@pytest.mark.asyncio
async def test_a_failing_token_callback_fails_the_call_instead_of_being_swallowed(
    sandbox: entra_sync.Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    unraisable: List[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    calls: List[Dict[str, Any]] = []
    vault_down = [True]

    def persist(tokens: Dict[str, Any]) -> None:
        calls.append(tokens)
        if vault_down[0]:
            raise KeyError("vault unavailable")

    graph = entra_sync.GraphProvider(sandbox.graph_settings(), on_tokens_rotated=persist)
    with pytest.raises(entra_sync.AuthError) as info:
        await graph.list_managed_tenants()
    assert info.value.code == "token_persist_failed"
    assert calls, "the callback was not called"
    assert "on_tokens_rotated" in str(info.value) and "KeyError" in str(info.value)
    assert "vault unavailable" not in str(info.value), "the host's message may quote a token"
    assert not unraisable
    # While the tokens cannot be persisted every call says so; once the vault is back the
    # provider persists its newest tokens and carries on.
    with pytest.raises(entra_sync.AuthError):
        await graph.list_users(tenant_ids(sandbox)[0])
    vault_down[0] = False
    listing = await graph.list_users(tenant_ids(sandbox)[0])
    assert listing["complete"]
    assert calls[-1]["refreshToken"] != calls[0]["refreshToken"]


def test_settings_are_checked() -> None:
    with pytest.raises(entra_sync.InvalidInput) as info:
        entra_sync.GraphProvider({"clientId": "x", "clientSecert": "typo", "partnerTenantId": "t"})
    assert "clientSecert" in str(info.value) or "clientSecret" in str(info.value)
    with pytest.raises(entra_sync.ConfigurationError):
        entra_sync.GraphProvider({"clientId": "x", "clientSecret": "s", "partnerTenantId": "t"})


def test_the_blocking_wrapper_serves_scripts(sandbox: entra_sync.Sandbox) -> None:
    graph = entra_sync.Blocking(entra_sync.GraphProvider(sandbox.graph_settings()))
    listing = graph.list_managed_tenants()
    assert len(listing["tenants"]) == 3
    assert entra_sync.run(graph._target.list_users, tenant_ids(sandbox)[0])["complete"] is True


def test_sandbox_lifecycle_and_repr() -> None:
    sb = entra_sync.Sandbox.start()
    try:
        assert sb.running
        assert sb.graph_base_url.startswith("http://127.0.0.1:")
        text = repr(sb)
        assert sb.credentials["clientSecret"] not in text
        assert len(sb.crm_clients()) > 0 and len(sb.crm_contacts()) > 0
    finally:
        sb.shutdown()
    assert not sb.running
    sb.shutdown()  # twice is fine
    with pytest.raises(entra_sync.SandboxError):
        sb.tenants()


def test_sandbox_config_errors() -> None:
    with pytest.raises(entra_sync.InvalidInput):
        entra_sync.Sandbox.start({"tenants": "many"})
    with pytest.raises(entra_sync.InvalidInput):
        entra_sync.Sandbox.start({"noSuchKnob": 1})
    with entra_sync.Sandbox.start() as sb:
        with pytest.raises(entra_sync.SandboxError) as info:
            sb.mutate({"kind": "disable", "userId": "no-such-user"})
        assert info.value.code == "unknown_user"
        with pytest.raises(entra_sync.InvalidInput):
            sb.set_faults({"delta": "sideways"})


@pytest.mark.asyncio
async def test_listings_match_their_typed_dicts(sandbox: entra_sync.Sandbox) -> None:
    from entra_sync import types
    from test_stubs import undeclared_keys

    graph = entra_sync.GraphProvider(sandbox.graph_settings())
    tid = tenant_ids(sandbox)[0]
    assert undeclared_keys(await graph.list_managed_tenants(), types.TenantListing) == []
    assert undeclared_keys(await graph.list_users(tid), types.UserListing) == []
    assert undeclared_keys(await graph.list_users_delta(tid), types.DeltaListing) == []
    assert undeclared_keys(sandbox.tenants(), List[types.SandboxTenant]) == []
    assert undeclared_keys(sandbox.faults(), types.SandboxFaults) == []
    assert undeclared_keys(sandbox.credentials, types.SandboxCredentials) == []
