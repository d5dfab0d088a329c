"""Sync metadata through the binding (plan actions, apply_plan's contacts and links, a re-run
that changes nothing), and tenants discovered through a fallback source, from the sandbox."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

import entra_sync
from entra_sync import types

NOW = "2026-12-03T15:00:00.000Z"
LATER = "2026-12-04T15:00:00.000Z"


def metadata_input() -> Dict[str, Any]:
    return {
        "entraTenantId": "t1",
        "clientId": "c1",
        "listingComplete": True,
        "now": NOW,
        "syncedBy": "entra-sync:direct",
        "users": [
            {"entraObjectId": "u1", "email": "ann@contoso.com", "accountEnabled": True},
            {"entraObjectId": "u2", "email": "bob@contoso.com", "accountEnabled": False},
            {"entraObjectId": "u3", "email": "cid@contoso.com", "accountEnabled": True},
        ],
        "contacts": [
            {"contactId": "k1", "clientId": "c1", "email": "ann@contoso.com"},
            {"contactId": "k2", "clientId": "c1", "email": "bob@contoso.com"},
            {"contactId": "k4", "clientId": "c1", "email": "gone@contoso.com"},
        ],
        "links": [
            {"entraTenantId": "t1", "entraObjectId": "u2", "contactId": "k2", "clientId": "c1"},
            {"entraTenantId": "t1", "entraObjectId": "u4", "contactId": "k4", "clientId": "c1"},
        ],
    }


def by_contact(rows: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    return {r["contactId"]: r for r in rows}


def test_plan_and_apply_carry_the_sync_metadata() -> None:
    inp = metadata_input()
    plan: types.SyncPlan = entra_sync.plan_tenant_sync(inp)
    actions = {(a["kind"], a["entraObjectId"]): a for a in plan["actions"]}
    link = actions[("link", "u1")]
    assert link["contactSync"] == {
        "lastSyncedBy": "entra-sync:direct",
        "lastSyncedAt": NOW,
        "upstreamEnabled": True,
        "syncStatus": {"status": "active", "reason": "email_match"},
    }
    assert link["linkSync"] == {"status": "active", "lastSyncedAt": NOW, "lastSeenAt": NOW}
    disabled = actions[("inactivate", "u2")]
    assert disabled["contactSync"]["syncStatus"] == {
        "status": "inactivated",
        "reason": "disabled_upstream",
    }
    assert disabled["contactSync"]["upstreamEnabled"] is False
    deleted = actions[("inactivate", "u4")]
    assert deleted["linkSync"] == {"status": "closed", "lastSyncedAt": NOW}
    assert plan["seenAt"] == NOW
    assert plan["seen"] == [{"entraObjectId": "u2", "contactId": "k2", "upstreamEnabled": False}]

    after: types.PlanInput = entra_sync.apply_plan(inp, plan)
    contacts = by_contact(after["contacts"])
    assert contacts["k1"]["lastSyncedBy"] == "entra-sync:direct"
    assert contacts["k1"]["lastSyncedAt"] == NOW
    assert contacts["k2"]["syncStatus"] == {"status": "inactivated", "reason": "disabled_upstream"}
    assert contacts["k4"]["syncStatus"] == {"status": "inactivated", "reason": "deleted_upstream"}
    created = [c for c in after["contacts"] if c["contactId"].startswith("entra-")]
    assert created and created[0]["upstreamEnabled"] is True
    links = {l["entraObjectId"]: l for l in after["links"]}
    assert links["u4"]["status"] == "closed" and links["u4"]["active"] is False
    assert links["u1"]["lastSeenAt"] == NOW and links["u1"]["status"] == "active"

    # A re-run with no upstream change plans nothing; only lastSeenAt moves.
    rerun = dict(after, now=LATER)
    second = entra_sync.plan_tenant_sync(rerun)
    assert [a for a in second["actions"] if a["kind"] not in ("queue_ambiguous", "conflict")] == []
    again = entra_sync.apply_plan(rerun, second)
    assert again["contacts"] == after["contacts"]
    assert {l["entraObjectId"]: l.get("lastSeenAt") for l in again["links"] if l["active"]} == {
        "u1": LATER,
        "u2": LATER,
        "u3": LATER,
    }


@pytest.mark.asyncio
async def test_a_tenant_found_through_a_fallback_source_says_where_its_domain_came_from() -> None:
    config: types.SandboxConfig = {"seed": 11, "tenants": 4, "usersPerTenant": 12}
    with entra_sync.Sandbox.start(config) as probe:
        tenants = probe.tenants()
    faults: types.SandboxFaults = {
        "gdapUnavailable": True,
        "tokenErrors": {tenants[0]["tenantId"]: "consent_missing"},
    }
    with entra_sync.Sandbox.start(dict(config, faults=faults)) as sb:
        graph = entra_sync.GraphProvider(sb.graph_settings())
        listing = await graph.list_managed_tenants()
        users = {t["tenantId"]: len(sb.expected_users(t["tenantId"])) for t in tenants}
    assert listing["complete"] is False
    codes = {w["code"] for w in listing["warnings"]}
    assert "gdap_unavailable" in codes
    found = {t["entraTenantId"]: t for t in listing["tenants"]}
    assert tenants[0]["tenantId"] in found
    t0 = found[tenants[0]["tenantId"]]
    # Listed through Lighthouse; no consent, so no user count and no own domains.
    assert t0["domainSource"] == "lighthouse"
    assert t0["primaryDomain"] == tenants[0]["defaultDomain"]
    assert t0["sourceUserCount"] is None
    counted = [t for tid, t in found.items() if tid != tenants[0]["tenantId"]]
    assert counted
    assert all(t["sourceUserCount"] == users[t["entraTenantId"]] for t in counted)
    assert all(t["domainSource"] == "tenant_domains" for t in counted)
