"""docs/errors.md lists every Rust error code with its Python class; every row must raise that
class through the binding, and an unknown code or family must not pass silently."""

from __future__ import annotations

import warnings

import pytest

import entra_sync
from conftest import REPO_ROOT

FAMILY = {
    "CoreError": "core",
    "EngineError": "core",
    "RunIdError": "core",
    "ProviderError": "provider",
    "StateError": "provider",
    "SecretError": "provider",
    "StoreError": "store",
    "SandboxError": "sandbox",
}


def rows(first_header: str) -> list[list[str]]:
    lines = (REPO_ROOT / "docs" / "errors.md").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    out = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        out.append([cell.strip().strip("`") for cell in line.strip("|").split("|")])
    return out


CODE_ROWS = rows("code")


def family_of(code: str, source: str) -> str:
    if source == "binding":
        return "sandbox" if code == "sandbox_stopped" else "core"
    return FAMILY[source]


@pytest.mark.parametrize("row", CODE_ROWS, ids=lambda r: f"{r[1]}:{r[0]}")
def test_every_documented_code_raises_its_documented_class(row: list[str]) -> None:
    code, source, _kind, class_name = row[:4]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(entra_sync.EntraSyncError) as info:
            entra_sync._native._raise_for_code(code, "why", family_of(code, source))
    assert type(info.value).__name__ == class_name
    assert type(info.value) is getattr(entra_sync, class_name)
    assert info.value.code == code


def test_the_kinds_table_names_every_exception_class() -> None:
    documented = {row[1] for row in rows("kind")}
    exported = {
        name
        for name in dir(entra_sync)
        if isinstance(getattr(entra_sync, name), type)
        and issubclass(getattr(entra_sync, name), entra_sync.EntraSyncError)
    }
    assert documented == exported


def test_an_unknown_code_warns_and_an_unknown_family_is_refused() -> None:
    with pytest.warns(RuntimeWarning, match="something_new"):
        with pytest.raises(entra_sync.EntraSyncError) as info:
            entra_sync._native._raise_for_code("something_new", "x", "core")
    assert type(info.value) is entra_sync.EntraSyncError
    with pytest.raises(ValueError, match="family"):
        entra_sync._native._raise_for_code("invalid_input", "x", "no_such_family")
