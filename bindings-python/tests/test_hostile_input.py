"""Hostile input through the Python package: each case gives a clear ``InvalidInput`` (or
``InvalidPattern``) or a correct result, never a crash. The same cases run from Node
(``bindings-node/__test__/hostile.test.mjs``); ``docs/reliability.md`` lists them with results."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Tuple

import pytest

import entra_sync


def nested(depth: int) -> Dict[str, Any]:
    root: Dict[str, Any] = {}
    current = root
    for _ in range(depth):
        current["x"] = {}
        current = current["x"]
    return root


def user(upn: str, **extra: Any) -> Dict[str, Any]:
    return {"entraObjectId": "u1", "userPrincipalName": upn, "accountEnabled": True, **extra}


BASE = {"entraTenantId": "t", "clientId": "c", "listingComplete": True, "users": [], "contacts": []}


def preview(tenant_domain: str, client_domain: str, **options: Any) -> Dict[str, Any]:
    return entra_sync.preview_mappings(
        {
            "tenants": [{"entraTenantId": "t1", "displayName": "Tenant", "domains": [tenant_domain]}],
            "clients": [{"clientId": "c1", "clientName": "Client", "domains": [client_domain]}],
            **({"options": options} if options else {}),
        }
    )


def included(result: Dict[str, Any]) -> List[str]:
    return [u["entraObjectId"] for u in result["included"]]


def reasons(result: Dict[str, Any]) -> List[str]:
    return [e["reason"] for e in result["excluded"]]


# The filter reads only the keys it needs: a key it never reads may be refused or left alone.
EITHER = "invalid_input or a correct result"

# (name, call, expected error code, None or EITHER, check of the result)
CASES: List[Tuple[str, Callable[[], Any], Any, Callable[[Any], bool]]] = [
    (
        "nesting_100k_deep_through_call",
        lambda: entra_sync.call("plan_tenant_sync", {**BASE, "extra": nested(100_000)}),
        "invalid_input",
        lambda _: True,
    ),
    (
        "nesting_100k_deep_inside_a_user",
        lambda: entra_sync.filter_users({"users": [{**user("a@x.com"), "x": nested(100_000)}]}),
        EITHER,
        lambda r: included(r) == ["u1"],
    ),
    (
        "nesting_100k_deep_in_an_unread_top_level_key",
        lambda: entra_sync.plan_tenant_sync({**BASE, "extra": nested(100_000)}),
        None,
        lambda plan: plan["actions"] == [],
    ),
    (
        "nan_threshold",
        lambda: preview("a.com", "b.com", threshold=float("nan")),
        "invalid_input",
        lambda _: True,
    ),
    (
        "infinite_threshold",
        lambda: preview("a.com", "b.com", threshold=float("inf")),
        "invalid_input",
        lambda _: True,
    ),
    (
        "lone_surrogate_in_a_upn",
        lambda: entra_sync.filter_users({"users": [user("a\ud800@x.com")]}),
        "invalid_input",
        lambda _: True,
    ),
    (
        "nul_in_a_upn_is_no_identity",
        lambda: entra_sync.filter_users({"users": [user("a\x00b@x.com")]}),
        None,
        lambda r: included(r) == [] and reasons(r) == ["missing_identity"],
    ),
    (
        "escape_character_in_a_mail_is_no_identity",
        lambda: entra_sync.filter_users({"users": [user("not-an-address", mail="a\x1b[2J@x.com")]}),
        None,
        lambda r: reasons(r) == ["missing_identity"],
    ),
    (
        "ten_megabyte_display_name",
        lambda: entra_sync.filter_users({"users": [user("a@x.com", displayName="n" * 10_000_000)]}),
        None,
        lambda r: included(r) == ["u1"],
    ),
    (
        "homoglyph_domain_never_matches_the_latin_one",
        lambda: preview("\u0430cme.com", "acme.com"),
        None,
        lambda r: r["autoMatched"] == [],
    ),
    (
        "unicode_domain_matches_its_punycode_form",
        lambda: preview("b\u00fccher.example", "xn--bcher-kva.example"),
        None,
        lambda r: [m["match"]["reason"] for m in r["autoMatched"]] == ["exact_domain"],
    ),
    (
        "nested_quantifier_pattern_on_a_long_upn",
        lambda: entra_sync.filter_users(
            {"users": [user("a" * 100_000 + "!@x.com")], "options": {"customExclusionPatterns": ["(a+)+$"]}}
        ),
        None,
        lambda r: included(r) == ["u1"],
    ),
    (
        "nested_quantifier_pattern_that_matches",
        lambda: entra_sync.filter_users(
            {"users": [user("a" * 100_000 + "!@x.com")], "options": {"customExclusionPatterns": ["^(a+)+!"]}}
        ),
        None,
        lambda r: reasons(r) == ["tenant_custom_pattern"],
    ),
    (
        "pattern_with_a_huge_repetition",
        lambda: entra_sync.validate_patterns(["(a{1000}){1000}"]),
        "invalid_pattern",
        lambda _: True,
    ),
    (
        "too_many_patterns",
        lambda: entra_sync.validate_patterns([f"p{i}" for i in range(1_000)]),
        "invalid_pattern",
        lambda _: True,
    ),
]


@pytest.mark.parametrize("name,call,code,check", CASES, ids=[c[0] for c in CASES])
def test_hostile_input_gives_a_clear_error_or_a_correct_result(
    name: str, call: Callable[[], Any], code: Any, check: Callable[[Any], bool]
) -> None:
    if code == EITHER:
        try:
            result = call()
        except entra_sync.InvalidInput as err:
            assert len(str(err)) <= 1_200
        else:
            assert check(result), name
    elif code is None:
        assert check(call()), name
    else:
        with pytest.raises(entra_sync.EntraSyncError) as info:
            call()
        assert info.value.code == code, (name, info.value.code, str(info.value)[:200])
        assert len(str(info.value)) <= 1_200, "an error message echoes the whole input"
