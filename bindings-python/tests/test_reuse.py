"""User records a result repeats unchanged (the filter's users, a plan's excluded users) are the
caller's own dicts when those already have the canonical shape, and new, independent dicts
otherwise; either way the result equals the JSON entry point's."""

from __future__ import annotations

import random
from typing import Any, Dict, List

import pytest

import entra_sync

CANONICAL_KEYS = {
    "entraTenantId",
    "entraObjectId",
    "userPrincipalName",
    "email",
    "otherMails",
    "proxyAddresses",
    "displayName",
    "givenName",
    "surname",
    "accountEnabled",
    "userType",
    "jobTitle",
    "mobilePhone",
    "businessPhones",
    "assignedLicenseSkuIds",
}


def canonical_user(i: int, enabled: bool = True) -> Dict[str, Any]:
    return {
        "entraTenantId": "t1",
        "entraObjectId": f"u{i}",
        "userPrincipalName": f"user{i}@contoso.com",
        "email": f"user{i}@contoso.com",
        "otherMails": [],
        "proxyAddresses": [f"SMTP:user{i}@contoso.com"],
        "displayName": f"User {i}",
        "givenName": None,
        "surname": None,
        "accountEnabled": enabled,
        "userType": "Member",
        "jobTitle": None,
        "mobilePhone": None,
        "businessPhones": ["+1 555 0100"],
        "assignedLicenseSkuIds": ["sku"],
    }


def identities(records: List[Dict[str, Any]], inputs: List[Dict[str, Any]]) -> List[bool]:
    ids = {id(u) for u in inputs}
    return [id(r) in ids for r in records]


def test_canonical_users_come_back_as_the_callers_own_dicts() -> None:
    users = [canonical_user(i, enabled=i % 3 != 0) for i in range(30)]
    out = entra_sync.filter_users({"users": users})
    assert out == entra_sync.call("filter_users", {"users": users})
    assert all(identities(out["included"], users))
    assert all(identities([e["user"] for e in out["excluded"]], users))
    assert len(out["included"]) + len(out["excluded"]) == len(users)


def test_a_plans_excluded_users_are_the_callers_own_dicts() -> None:
    users = [canonical_user(i, enabled=i % 2 == 0) for i in range(10)]
    plan_input = {
        "entraTenantId": "t1",
        "clientId": "c1",
        "users": users,
        "listingComplete": True,
        "contacts": [],
        "links": [],
    }
    plan = entra_sync.plan_tenant_sync(plan_input)
    assert plan == entra_sync.call("plan_tenant_sync", plan_input)
    excluded = [e["user"] for e in plan["excluded"]]
    assert len(excluded) == 5
    assert all(identities(excluded, users))


def test_non_canonical_users_become_new_independent_dicts() -> None:
    graph_shaped = {
        "entraObjectId": "u1",
        "mail": "a@contoso.com",  # Graph's name: the canonical key is `email`
        "accountEnabled": True,
        "businessPhones": ["+1 555 0100"],
        "otherMails": None,  # read as an empty list
        "id": "ignored",  # unknown keys are not part of the record
    }
    out = entra_sync.filter_users({"users": [graph_shaped]})
    assert out == entra_sync.call("filter_users", {"users": [graph_shaped]})
    (user,) = out["included"]
    assert user is not graph_shaped
    assert set(user) == CANONICAL_KEYS
    assert user["email"] == "a@contoso.com" and user["otherMails"] == []
    # Lists are new objects: changing the result never changes the caller's input.
    assert user["businessPhones"] == ["+1 555 0100"]
    assert user["businessPhones"] is not graph_shaped["businessPhones"]
    user["businessPhones"].append("+1 555 0199")
    assert graph_shaped["businessPhones"] == ["+1 555 0100"]


class Text(str):
    pass


#: Ways a user dict can differ from its canonical record while still reading as one.
ALMOST_CANONICAL = ["extra", "missing", "tuple", "none_list", "none_text", "subclass", "mail"]


def almost_canonical_user(i: int, change: str) -> Dict[str, Any]:
    user = canonical_user(i)
    if change == "extra":
        user["department"] = "Sales"
    elif change == "missing":
        del user["jobTitle"]
    elif change == "tuple":
        user["businessPhones"] = ("+1 555 0100",)
    elif change == "none_list":
        user["proxyAddresses"] = None  # read as [], written as []
    elif change == "none_text":
        user["entraTenantId"] = None  # read as "", written as ""
    elif change == "subclass":
        user["displayName"] = Text(user["displayName"])
    elif change == "mail":
        user["mail"] = user.pop("email")
    return user


def test_almost_canonical_users_are_not_reused() -> None:
    variants = [almost_canonical_user(i, change) for i, change in enumerate(ALMOST_CANONICAL)]
    out = entra_sync.filter_users({"users": variants})
    assert out == entra_sync.call("filter_users", {"users": variants})
    assert not any(identities(out["included"], variants))
    for user in out["included"]:
        assert set(user) == CANONICAL_KEYS
        assert type(user["displayName"]) is str


@pytest.mark.parametrize("change", ALMOST_CANONICAL)
def test_one_almost_canonical_user_among_canonical_ones_is_the_only_one_rebuilt(change: str) -> None:
    # Alone in a listing of exact built-in types (no tuple, no subclass), the reuse check takes
    # its shortest path; with one, every dict gets the full check. Either way only the differing
    # dict is rebuilt.
    users = [canonical_user(0), almost_canonical_user(1, change), canonical_user(2)]
    out = entra_sync.filter_users({"users": users})
    assert out == entra_sync.call("filter_users", {"users": users})
    assert identities(out["included"], users) == [True, False, True]
    rebuilt = out["included"][1]
    assert set(rebuilt) == CANONICAL_KEYS
    assert all(type(rebuilt[k]) is str for k in ("entraTenantId", "displayName"))


def random_user(rng: random.Random, i: int) -> Dict[str, Any]:
    user = canonical_user(i, enabled=rng.random() < 0.8)
    for key in list(user):
        roll = rng.random()
        if roll < 0.05 and key not in ("entraObjectId", "accountEnabled"):
            del user[key]
        elif roll < 0.08 and key not in ("entraObjectId", "accountEnabled"):
            user[key] = None
    if rng.random() < 0.05:
        user["mail"] = user.pop("email", None)
    if rng.random() < 0.05:
        user["extra"] = rng.randint(0, 9)
    if rng.random() < 0.1:
        user["displayName"] = rng.choice(["svc backup", "Zoë Ünicode", "", "noreply"])
    if rng.random() < 0.3:
        # Key order is the caller's business; it never decides reuse.
        user = dict(reversed(list(user.items())))
    return user


def test_random_users_give_the_entry_points_result_and_reuse_only_canonical_dicts() -> None:
    rng = random.Random(7)
    for round_ in range(20):
        users = [random_user(rng, round_ * 100 + i) for i in range(60)]
        request = {"users": users, "options": {"customExclusionPatterns": ["^svc"]}}
        try:
            expected = entra_sync.call("filter_users", request)
        except entra_sync.EntraSyncError:
            continue
        out = entra_sync.filter_users(request)
        assert out == expected
        records = out["included"] + [e["user"] for e in out["excluded"]]
        for record, reused in zip(records, identities(records, users)):
            assert set(record) == CANONICAL_KEYS
            if reused:
                assert all(type(v) in (str, bool, list, type(None)) for v in record.values())
