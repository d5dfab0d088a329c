"""The pure functions from Python: named wrappers and `call` agree, the GIL is released during
large plans, async variants, run ids and input handling."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Dict, List

import pytest

import entra_sync


def users(n: int) -> List[Dict[str, Any]]:
    return [
        {
            "entraTenantId": "t1",
            "entraObjectId": f"u{i}",
            "userPrincipalName": f"user{i}@contoso.com",
            "email": f"user{i}@contoso.com",
            "displayName": f"User {i}",
            "accountEnabled": i % 5 != 0,
            "assignedLicenseSkuIds": ["sku"],
        }
        for i in range(n)
    ]


def plan_input(n: int) -> Dict[str, Any]:
    return {
        "entraTenantId": "t1",
        "clientId": "c1",
        "users": users(n),
        "listingComplete": True,
        "contacts": [
            {"contactId": f"c{i}", "clientId": "c1", "email": f"user{i}@contoso.com"}
            for i in range(0, n, 2)
        ],
        "links": [],
    }


def test_functions_lists_every_named_function() -> None:
    names = entra_sync.functions()
    for name in entra_sync.NAMED_FUNCTIONS:
        assert name in names


def test_named_functions_and_call_agree() -> None:
    inp = plan_input(50)
    assert entra_sync.plan_tenant_sync(inp) == entra_sync.call("plan_tenant_sync", inp)
    fin = {"users": users(20), "options": {"customExclusionPatterns": ["^user1"]}}
    out = entra_sync.filter_users(fin)
    assert out == entra_sync.call("filter_users", fin)
    excluded = {e["user"]["entraObjectId"]: e["reason"] for e in out["excluded"]}
    assert excluded["u0"] == "account_disabled"
    assert excluded["u1"] == "tenant_custom_pattern"
    assert len(out["included"]) + len(out["excluded"]) == 20


def test_plans_are_deterministic_and_apply_plan_is_idempotent() -> None:
    inp = plan_input(40)
    plan = entra_sync.plan_tenant_sync(inp)
    assert plan == entra_sync.plan_tenant_sync(inp)
    assert any(a["kind"] == "create" for a in plan["actions"])
    assert any(a["kind"] == "link" for a in plan["actions"])
    after = entra_sync.apply_plan(inp, plan)
    assert after == entra_sync.apply_plan({"input": inp, "plan": plan})
    again = entra_sync.plan_tenant_sync(after)
    changing = [a for a in again["actions"] if a["kind"] not in ("queue_ambiguous", "conflict")]
    assert changing == []


def test_inputs_are_not_modified() -> None:
    inp = plan_input(10)
    snapshot = repr(inp)
    entra_sync.plan_tenant_sync(inp)
    assert repr(inp) == snapshot


def test_tuples_and_mappings_subclasses_are_accepted() -> None:
    from collections import OrderedDict

    fin = OrderedDict(users=tuple(users(3)), options={})
    out = entra_sync.filter_users(fin)
    assert len(out["included"]) + len(out["excluded"]) == 3


def test_the_gil_is_released_during_a_large_plan() -> None:
    inp = plan_input(20_000)
    ticks = 0
    stop = threading.Event()

    def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.0005)

    # Only the Rust part releases the GIL; measure how many ticks happen during the call.
    thread = threading.Thread(target=ticker)
    thread.start()
    try:
        phases = entra_sync._native._call_phases("plan_tenant_sync", inp)
        before = ticks
        start = time.perf_counter()
        entra_sync.plan_tenant_sync(inp)
        elapsed = time.perf_counter() - start
        during = ticks - before
    finally:
        stop.set()
        thread.join()
    assert phases["core"] > 0
    # With the GIL held for the whole call, the ticker could not run at all.
    assert during >= 5, (elapsed, during)


@pytest.mark.asyncio
async def test_call_async_runs_off_the_event_loop() -> None:
    inp = plan_input(200)
    expected = entra_sync.plan_tenant_sync(inp)
    results = await asyncio.gather(
        entra_sync.call_async("plan_tenant_sync", inp), asyncio.sleep(0, result="loop alive")
    )
    assert results == [expected, "loop alive"]
    with pytest.raises(entra_sync.InvalidInput):
        await entra_sync.call_async("plan_tenant_sync", {"users": []})


def test_run_ids_are_deterministic() -> None:
    key = {
        "scope": "tenant",
        "trigger": "manual",
        "entraTenantId": "tenant-a",
        "discriminator": {"kind": "request_key", "key": "click-1"},
    }
    first = entra_sync.run_id(key)
    assert first == entra_sync.run_id(dict(key))
    assert first.startswith("entra-sync:tenant:tenant-a:manual:")
    assert entra_sync.run_id(key, attempt=2) == first + "#2"
    other = dict(key, discriminator={"kind": "request_key", "key": "click-2"})
    assert entra_sync.run_id(other) != first
    bucket = {
        "scope": "all_tenants",
        "trigger": "scheduled",
        "discriminator": {"kind": "time_bucket", "unixSeconds": 1_700_000_123, "bucketSeconds": 300},
    }
    assert entra_sync.run_id(bucket).endswith(":t1700000100")
    with pytest.raises(entra_sync.InvalidInput):
        entra_sync.run_id(dict(key, entraTenantId=None))


def test_validate_patterns() -> None:
    assert entra_sync.validate_patterns(["^svc-", "noreply"])["valid"] is True
    assert entra_sync.validate_patterns({"patterns": []})["count"] == 0
    with pytest.raises(entra_sync.InvalidPattern) as info:
        entra_sync.validate_patterns(["fine", "[unclosed"])
    assert "[unclosed" in str(info.value)


def test_missing_required_fields_are_named() -> None:
    inp = plan_input(2)
    del inp["listingComplete"]
    with pytest.raises(entra_sync.InvalidInput) as info:
        entra_sync.plan_tenant_sync(inp)
    assert "listingComplete" in str(info.value)


def rich_plan_input() -> Dict[str, Any]:
    """Links, updates, conflicts, guests and non-ASCII text: most action kinds and optional fields."""
    inp = plan_input(40)
    for i, user in enumerate(inp["users"]):
        user["displayName"] = f"Zoë Ünïcode {i}"
        user["jobTitle"] = "Ingénieur" if i % 3 else None
        user["businessPhones"] = [f"+33 1 {i:04d}"]
        if i % 7 == 0:
            user["userType"] = "Guest"
    inp["links"] = [
        {"entraTenantId": "t1", "entraObjectId": f"u{i}", "contactId": f"c{i}",
         "clientId": "c1", "active": True}
        for i in range(0, 40, 4)
    ]
    inp["contacts"].append({"contactId": "gone", "clientId": "c1", "email": "left@contoso.com"})
    inp["settings"] = {"fieldSync": {"displayName": True, "phone": True, "jobTitle": True}}
    return inp


def test_named_results_are_identical_to_the_json_path_key_order_included() -> None:
    import json

    inp = rich_plan_input()
    named = entra_sync.plan_tenant_sync(inp)
    generic = entra_sync.call("plan_tenant_sync", inp)
    assert json.dumps(named, ensure_ascii=False) == json.dumps(generic, ensure_ascii=False)
    assert len({a["kind"] for a in named["actions"]}) >= 2
    fin = {"users": inp["users"], "options": {"customExclusionPatterns": ["^user3"]}}
    assert json.dumps(entra_sync.filter_users(fin)) == json.dumps(entra_sync.call("filter_users", fin))


def test_results_are_plain_python_values() -> None:
    out = entra_sync.filter_users({"users": users(3), "options": {}})
    def walk(value: Any) -> None:
        assert type(value) in (dict, list, str, int, float, bool, type(None)), type(value)
        if isinstance(value, dict):
            for k, v in value.items():
                assert type(k) is str
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
    walk(out)
    assert out["included"][0]["accountEnabled"] is True
    assert out["excluded"][0]["user"]["accountEnabled"] is False


def test_non_ascii_and_unencodable_strings_on_the_fast_path() -> None:
    inp = plan_input(3)
    inp["users"][1]["displayName"] = "Ĳsbrand 北京 🎉"
    plan = entra_sync.plan_tenant_sync(inp)
    assert plan == entra_sync.call("plan_tenant_sync", inp)
    # A lone surrogate is not valid UTF-8: refused cleanly, naming no secret, never a crash.
    inp["users"][1]["displayName"] = "bad \ud800 text"
    with pytest.raises(entra_sync.InvalidInput):
        entra_sync.plan_tenant_sync(inp)


def test_summarize_licenses_counts_reclaimable_licences_and_agrees_with_call() -> None:
    spb = "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"
    listing = {
        "entraTenantId": "t1",
        "subscribedSkus": [
            {"skuId": spb, "skuPartNumber": "SPB", "prepaidUnits": {"enabled": 5}, "consumedUnits": 3},
            {"skuId": "11111111-0000-0000-0000-000000000000", "skuPartNumber": "CONTOSO_ADDON"},
        ],
        "users": [
            {"entraObjectId": "u1", "accountEnabled": True, "userType": "Member", "assignedLicenseSkuIds": [spb]},
            {"entraObjectId": "u2", "accountEnabled": False, "userType": "Member", "assignedLicenseSkuIds": [spb]},
            {"entraObjectId": "u3", "accountEnabled": True, "userType": "Guest", "assignedLicenseSkuIds": [spb]},
        ],
    }
    summary = entra_sync.summarize_licenses(listing)
    assert summary == entra_sync.call("summarize_licenses", listing)
    row = summary["skus"][0]
    assert row["productName"] == "Microsoft 365 Business Premium"
    assert (row["purchased"], row["assigned"], row["reclaimable"]) == (5, 3, 2)
    assert summary["skus"][1]["productName"] == "CONTOSO_ADDON"
    assert [u["skuPartNumbers"] for u in summary["users"]] == [["SPB"]] * 3
    assert "summarize_licenses" in entra_sync.functions()


def test_summarize_licenses_rejects_a_sku_listed_twice_with_invalid_input() -> None:
    sku = {"skuId": "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46", "skuPartNumber": "SPB"}
    with pytest.raises(entra_sync.InvalidInput) as err:
        entra_sync.summarize_licenses({"subscribedSkus": [sku, sku], "users": []})
    assert err.value.code == "invalid_input"
    assert "subscribedSkus[1].skuId" in str(err.value)
