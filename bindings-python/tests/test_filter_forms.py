"""`filter_users(input, returns="inputs" | "positions")`: the caller's own user objects (whatever
their shape) or their indices, with exactly the decisions, order, reasons and patterns of the
canonical result (`call("filter_users", ...)`); input the canonical form refuses raises the same
error in every form."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest

import entra_sync
from conftest import REPO_ROOT

FILTER_VECTORS = sorted((REPO_ROOT / "tests" / "vectors" / "filter_users").glob("*.json"))
OPTIONS = {"customExclusionPatterns": ["^ext-", "@contractors\\.contoso\\.com$"], "licensedOnly": True}


def canonical(user: Any) -> Dict[str, Any]:
    """The canonical record of one user, as the JSON entry point reads it."""
    out = entra_sync.call("filter_users", {"users": [user]})
    return (out["included"] + [e["user"] for e in out["excluded"]])[0]


def expected_from_positions(users: List[Any], positions: Dict[str, Any]) -> Dict[str, Any]:
    """The canonical result the positions stand for."""
    excluded = []
    for entry in positions["excluded"]:
        record = {"user": canonical(users[entry["index"]]), "reason": entry["reason"]}
        if "pattern" in entry:
            record["pattern"] = entry["pattern"]
        excluded.append(record)
    out = {"included": [canonical(users[i]) for i in positions["included"]], "excluded": excluded}
    if "warnings" in positions:
        out["warnings"] = positions["warnings"]
    return out


def assert_forms_agree_with_call(request: Dict[str, Any]) -> None:
    users = request["users"]
    expected = entra_sync.call("filter_users", request)
    assert entra_sync.filter_users(request) == expected
    positions = entra_sync.filter_users(request, returns="positions")
    assert set(positions) == {"included", "excluded"} | ({"warnings"} if "warnings" in expected else set())
    assert all(type(i) is int for i in positions["included"])
    assert expected_from_positions(users, positions) == expected
    own = entra_sync.filter_users(request, returns="inputs")
    assert own.get("warnings") == expected.get("warnings")
    assert len(own["included"]) == len(positions["included"])
    for user, index in zip(own["included"], positions["included"]):
        assert user is users[index]
    assert len(own["excluded"]) == len(positions["excluded"])
    for entry, at in zip(own["excluded"], positions["excluded"]):
        assert entry["user"] is users[at["index"]]
        assert {k: v for k, v in entry.items() if k != "user"} == {
            k: v for k, v in at.items() if k != "index"
        }
        assert list(entry) == ["user", "reason"] + (["pattern"] if "pattern" in entry else [])


@pytest.mark.parametrize("path", FILTER_VECTORS, ids=lambda p: p.stem)
def test_every_filter_vector_gives_the_same_result_or_error_in_every_form(path: Any) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    request = case["input"]
    if "expectedError" in case:
        with pytest.raises(entra_sync.EntraSyncError) as canonical_error:
            entra_sync.call("filter_users", request)
        for returns in ("inputs", "positions"):
            with pytest.raises(entra_sync.EntraSyncError) as error:
                entra_sync.filter_users(request, returns=returns)
            assert type(error.value) is type(canonical_error.value)
            assert error.value.code == case["expectedError"]["code"] == canonical_error.value.code
            assert str(error.value) == str(canonical_error.value)
        return
    assert_forms_agree_with_call(request)


def graph_user(i: int, **fields: Any) -> Dict[str, Any]:
    user: Dict[str, Any] = {
        "@odata.type": "#microsoft.graph.user",
        "id": f"u{i}",
        "entraObjectId": f"u{i}",
        "createdDateTime": "2024-01-15T09:30:00Z",
        "accountEnabled": True,
        "userPrincipalName": f"user{i}@contoso.com",
        "mail": f"user{i}@contoso.com",
        "displayName": f"User {i}",
        "assignedLicenseSkuIds": ["sku"],
    }
    for key, value in fields.items():
        if value is DROP:
            user.pop(key, None)
        else:
            user[key] = value
    return user


DROP = object()

# (case, the user's changes from a licensed Graph member, expected reason or None for included)
GRAPH_SHAPED_CASES = [
    ("plain_graph_member", {}, None),
    ("mail_only_no_upn", {"userPrincipalName": DROP}, None),
    ("canonical_email_key", {"mail": DROP, "email": "jane@contoso.com"}, None),
    ("no_address_at_all", {"mail": None, "userPrincipalName": "not-an-address"}, "missing_identity"),
    ("disabled", {"accountEnabled": False}, "account_disabled"),
    ("guest_by_type", {"userType": "Guest"}, "guest"),
    ("guest_by_ext_marker", {"userPrincipalName": "kim_x.com#EXT#@contoso.onmicrosoft.com", "mail": None}, "guest"),
    ("no_license_key", {"assignedLicenseSkuIds": DROP}, "unlicensed"),
    ("licenses_none", {"assignedLicenseSkuIds": None}, "unlicensed"),
    ("licenses_empty_tuple", {"assignedLicenseSkuIds": ()}, "unlicensed"),
    ("licenses_tuple", {"assignedLicenseSkuIds": ("sku",)}, None),
    ("service_by_display_name", {"displayName": "Shared Mailbox - Info"}, "service_account"),
    ("service_by_mail_local_part", {"mail": "noreply@contoso.com"}, "service_account"),
    ("custom_pattern_on_upn", {"userPrincipalName": "ext-lee@contoso.com"}, "tenant_custom_pattern"),
    ("custom_pattern_on_domain", {"mail": "lee@contractors.contoso.com"}, "tenant_custom_pattern"),
    ("display_name_none", {"displayName": None}, None),
    ("extra_graph_keys", {"department": "Sales", "onPremisesExtensionAttributes": {"a": 1}}, None),
    ("unicode_and_spaces", {"displayName": " Zoë Ünicode ", "mail": "\u00a0zoe@contoso.com "}, None),
]


def test_graph_shaped_users_case_table() -> None:
    users = [graph_user(i, **changes) for i, (_, changes, _) in enumerate(GRAPH_SHAPED_CASES)]
    request = {"users": users, "options": OPTIONS}
    assert_forms_agree_with_call(request)
    positions = entra_sync.filter_users(request, returns="positions")
    reasons: Dict[int, Any] = {i: None for i in positions["included"]}
    reasons.update({e["index"]: e["reason"] for e in positions["excluded"]})
    for i, (case, _, expected) in enumerate(GRAPH_SHAPED_CASES):
        assert reasons[i] == expected, case


def test_inputs_form_returns_the_callers_own_objects_whatever_their_shape() -> None:
    class Record(dict):
        pass

    users: List[Any] = [graph_user(0), Record(graph_user(1)), graph_user(2, accountEnabled=False)]
    own = entra_sync.filter_users({"users": tuple(users)}, returns="inputs")
    assert own["included"][0] is users[0]
    assert own["included"][1] is users[1] and type(own["included"][1]) is Record
    assert own["excluded"] == [{"user": users[2], "reason": "account_disabled"}]
    assert own["excluded"][0]["user"] is users[2]
    # The records form still builds new canonical dicts for these users.
    records = entra_sync.filter_users({"users": users})
    assert all(r is not u for r, u in zip(records["included"], users))
    assert "mail" not in records["included"][0] and records["included"][0]["email"] == "user0@contoso.com"


# (case, a change that makes the input invalid for the canonical form)
INVALID_CASES = [
    ("missing_account_enabled", lambda u: u.pop("accountEnabled")),
    ("account_enabled_as_int", lambda u: u.update(accountEnabled=1)),
    ("missing_object_id", lambda u: u.pop("entraObjectId")),
    ("object_id_as_int", lambda u: u.update(entraObjectId=7)),
    ("both_mail_and_email", lambda u: u.update(email="a@contoso.com")),
    ("display_name_as_int", lambda u: u.update(displayName=5)),
    ("license_not_text", lambda u: u.update(assignedLicenseSkuIds=[1])),
    ("licenses_as_text", lambda u: u.update(assignedLicenseSkuIds="sku")),
    ("lone_surrogate", lambda u: u.update(userPrincipalName="\ud800@contoso.com")),
]


@pytest.mark.parametrize("case,change", INVALID_CASES, ids=[c for c, _ in INVALID_CASES])
def test_invalid_users_raise_the_canonical_error_in_every_form(case: str, change: Any) -> None:
    user = graph_user(1)
    change(user)
    request = {"users": [graph_user(0), user], "options": {"customExclusionPatterns": ["("]}}
    with pytest.raises(entra_sync.EntraSyncError) as canonical_error:
        entra_sync.call("filter_users", request)
    for returns in ("records", "inputs", "positions"):
        with pytest.raises(entra_sync.EntraSyncError) as error:
            entra_sync.filter_users(request, returns=returns)
        assert type(error.value) is type(canonical_error.value), case
        assert (error.value.code, str(error.value)) == (canonical_error.value.code, str(canonical_error.value))


@pytest.mark.parametrize(
    "request_",
    [
        {"users": [graph_user(0)], "options": {"customExclusionPatterns": ["("]}},
        {"users": [graph_user(0), "not a user"]},
        {"users": "not a list"},
        {"options": {}},
        [graph_user(0)],
    ],
    ids=["invalid_pattern", "user_not_a_dict", "users_not_a_list", "no_users", "input_not_a_dict"],
)
def test_invalid_requests_raise_the_canonical_error_in_every_form(request_: Any) -> None:
    with pytest.raises(entra_sync.EntraSyncError) as canonical_error:
        entra_sync.call("filter_users", request_)
    for returns in ("inputs", "positions"):
        with pytest.raises(entra_sync.EntraSyncError) as error:
            entra_sync.filter_users(request_, returns=returns)
        assert (type(error.value), error.value.code, str(error.value)) == (
            type(canonical_error.value),
            canonical_error.value.code,
            str(canonical_error.value),
        )


def test_inputs_form_does_not_check_fields_the_filter_does_not_read() -> None:
    user = graph_user(0, givenName=5, businessPhones="+1 555 0100")
    with pytest.raises(entra_sync.InvalidInput):
        entra_sync.filter_users({"users": [user]})
    own = entra_sync.filter_users({"users": [user]}, returns="inputs")
    assert own["included"] == [user] and own["included"][0] is user


def test_an_unknown_result_form_is_invalid_input() -> None:
    with pytest.raises(entra_sync.InvalidInput, match="returns"):
        entra_sync.filter_users({"users": []}, returns="objects")


def test_empty_listing_in_every_form() -> None:
    for returns in ("records", "inputs", "positions"):
        assert entra_sync.filter_users({"users": []}, returns=returns) == {"included": [], "excluded": []}


def large_listing(n: int) -> List[Dict[str, Any]]:
    """More users than one chunk of the reader (4,096), so reading and classifying overlap."""
    changes = [changes for _, changes, _ in GRAPH_SHAPED_CASES]
    return [graph_user(i, **changes[i % len(changes)]) for i in range(n)]


def test_a_large_listing_read_in_chunks_decides_as_call() -> None:
    users = large_listing(3 * 4096 + 17)
    request = {"users": users, "options": OPTIONS}
    expected = entra_sync.call("filter_users", request)
    positions = entra_sync.filter_users(request, returns="positions")
    assert [users[i]["entraObjectId"] for i in positions["included"]] == [
        u["entraObjectId"] for u in expected["included"]
    ]
    assert [(users[e["index"]]["entraObjectId"], e["reason"], e.get("pattern")) for e in positions["excluded"]] == [
        (e["user"]["entraObjectId"], e["reason"], e.get("pattern")) for e in expected["excluded"]
    ]
    own = entra_sync.filter_users(request, returns="inputs")
    assert [id(u) for u in own["included"]] == [id(users[i]) for i in positions["included"]]
    assert [id(e["user"]) for e in own["excluded"]] == [id(users[e["index"]]) for e in positions["excluded"]]


def test_an_invalid_user_in_a_late_chunk_raises_the_canonical_error() -> None:
    users = large_listing(3 * 4096 + 17)
    users[-5]["accountEnabled"] = "yes"
    request = {"users": users, "options": OPTIONS}
    with pytest.raises(entra_sync.InvalidInput) as canonical_error:
        entra_sync.call("filter_users", request)
    for returns in ("inputs", "positions"):
        with pytest.raises(entra_sync.InvalidInput) as error:
            entra_sync.filter_users(request, returns=returns)
        assert str(error.value) == str(canonical_error.value)
