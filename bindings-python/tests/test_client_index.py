"""`ClientIndex`: clients indexed once give, preview after preview, exactly what
`preview_mappings` gives for the same clients and options: over every shared preview vector and
over several tenant lists previewed against one index."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest

import entra_sync
from conftest import REPO_ROOT

PREVIEW_VECTORS = sorted((REPO_ROOT / "tests" / "vectors" / "preview_mappings").glob("*.json"))


def one_shot(case: Dict[str, Any]) -> Any:
    try:
        return entra_sync.preview_mappings(case)
    except entra_sync.EntraSyncError as e:
        return ("error", e.code)


def indexed(case: Dict[str, Any]) -> Any:
    try:
        index = entra_sync.ClientIndex(case.get("clients") or [], case.get("options"))
        rest = {k: v for k, v in case.items() if k not in ("clients", "options")}
        return index.preview(rest)
    except entra_sync.EntraSyncError as e:
        return ("error", e.code)


def well_typed(case: Dict[str, Any]) -> bool:
    """Inputs whose shape both entry points accept (ill-typed ones are rejected by both, but at
    different steps)."""
    return isinstance(case, dict) and isinstance(case.get("tenants"), list)


@pytest.mark.parametrize("path", PREVIEW_VECTORS, ids=lambda p: p.stem)
def test_an_index_previews_each_shared_vector_as_preview_mappings(path: Any) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))["input"]
    if not well_typed(case):
        pytest.skip("ill-typed input")
    assert indexed(case) == one_shot(case)


def estate() -> Dict[str, Any]:
    clients: List[Dict[str, Any]] = [
        {"clientId": "c1", "clientName": "Contoso Dental", "domains": ["https://www.contoso.com"]},
        {"clientId": "c2", "clientName": "Acme Rental Inc", "domains": ["acme.co.uk"]},
        {"clientId": "c3", "clientName": "Alpha Health", "secondaryDomains": ["billing@alpha.de"]},
        {"clientId": "c4", "clientName": "Alpha Wealth"},
        {"clientId": "c5", "clientName": "Fabrikam Systems", "domains": ["fabrikam.com"]},
    ]
    tenants: List[Dict[str, Any]] = [
        {"entraTenantId": "t1", "displayName": "Contoso", "domains": ["contoso.com"]},
        {"entraTenantId": "t2", "displayName": "ACME RENTAL CORPORATION", "domains": []},
        {"entraTenantId": "t3", "displayName": "Alpha Health GmbH", "domains": ["alpha.de"]},
        {"entraTenantId": "t4", "displayName": "Fabrikam Sys", "domains": ["fab.onmicrosoft.com"]},
        {"entraTenantId": "t5", "displayName": "Nobody At All", "domains": ["nobody.net"]},
    ]
    return {"clients": clients, "tenants": tenants}


@pytest.mark.parametrize(
    "options",
    [None, {"threshold": 0.5, "topK": 2}, {"threshold": 0.9}, {"topK": 1}],
)
def test_one_index_serves_several_tenant_lists_as_preview_mappings(options: Any) -> None:
    data = estate()
    index = entra_sync.ClientIndex(data["clients"], options)
    assert len(index) == len(data["clients"])
    mappings = [{"entraTenantId": "t5", "state": "skipped"}]
    tenants = data["tenants"]
    lists = [tenants, tenants[:2], tenants[2:], [tenants[3]], []]
    for chosen in lists:
        for maps in ([], mappings):
            full: Dict[str, Any] = {"tenants": chosen, "clients": data["clients"], "mappings": maps}
            if options is not None:
                full["options"] = options
            got = index.preview({"tenants": chosen, "mappings": maps})
            assert got == entra_sync.preview_mappings(full)


@pytest.mark.parametrize(
    "clients, options",
    [
        ([{"clientId": ""}], None),
        ([{"clientId": "c1"}, {"clientId": "c1"}], None),
        ([], {"threshold": 2}),
        ([], {"topK": 0}),
        ("not a list", None),
    ],
)
def test_invalid_clients_or_options_are_refused_when_the_index_is_built(
    clients: Any, options: Any
) -> None:
    with pytest.raises(entra_sync.InvalidInput):
        entra_sync.ClientIndex(clients, options)


def test_a_preview_input_carrying_clients_or_options_is_refused() -> None:
    data = estate()
    index = entra_sync.ClientIndex(data["clients"])
    for extra in ({"clients": []}, {"options": {"topK": 1}}):
        with pytest.raises(entra_sync.InvalidInput) as err:
            index.preview({"tenants": data["tenants"], **extra})
        assert "ClientIndex" in str(err.value)
    with pytest.raises(entra_sync.InvalidInput):
        index.preview({"tenants": [{"entraTenantId": "t1"}, {"entraTenantId": "T1"}]})
