"""Every shared JSON vector (tests/vectors at the repository root, plus ENTRA_VECTORS_DIR) run
through the Python functions, with the subset-matching rules of the Rust runner:

- an object matches when every expected key matches (an expected `null` also matches a missing key);
- arrays match element-wise, in order, and must have the same length;
- numbers match within 1e-9;
- `expectedError: {}` means the call must fail; `{"code": c}` means it must fail with code `c`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Callable

import pytest

import entra_sync
from conftest import REPO_ROOT, vector_files


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def mismatch(expected: Any, actual: Any, path: str = "$") -> str | None:
    """The JSON path and reason of the first mismatch, or None when `expected` matches."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key, ev in expected.items():
            p = f"{path}.{key}"
            if key in actual:
                why = mismatch(ev, actual[key], p)
                if why:
                    return why
            elif ev is not None:
                return f"{p}: missing (expected {json.dumps(ev)})"
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return f"{path}: expected {len(expected)} elements, got {len(actual)}: {json.dumps(actual)}"
        for i, (ev, av) in enumerate(zip(expected, actual)):
            why = mismatch(ev, av, f"{path}[{i}]")
            if why:
                return why
        return None
    if _is_number(expected) and _is_number(actual):
        if math.isclose(float(expected), float(actual), rel_tol=0.0, abs_tol=1e-9):
            return None
        return f"{path}: expected {expected}, got {actual}"
    if type(expected) is type(actual) and expected == actual:
        return None
    return f"{path}: expected {json.dumps(expected)}, got {json.dumps(actual)}"


def python_function(name: str) -> Callable[[Any], Any]:
    """The package's named function for a vector's `function`, or the generic `call`."""
    if name == "apply_plan":
        # The two-argument form is the idiomatic one; the vector holds `{input, plan}`.
        def apply(inp: Any) -> Any:
            if isinstance(inp, dict):
                return entra_sync.apply_plan(inp.get("input"), inp.get("plan"))
            return entra_sync.apply_plan(inp)

        return apply
    fn = getattr(entra_sync, name, None)
    if name in entra_sync.NAMED_FUNCTIONS and callable(fn):
        return fn
    return lambda inp: entra_sync.call(name, inp)


def run_case(path: Path) -> str | None:
    """None when the case passes, else why it failed."""
    try:
        case = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return f"not JSON: {e}"
    function = case.get("function")
    if not isinstance(function, str):
        return "case has no `function`"
    inp = case.get("input")
    fn = python_function(function)
    try:
        out = fn(inp)
        err = None
    except entra_sync.EntraSyncError as e:
        out, err = None, e
    if "expectedError" in case:
        expected_error = case["expectedError"]
        if err is None:
            return f"expected error {json.dumps(expected_error)}, got success: {json.dumps(out)}"
        code = expected_error.get("code") if isinstance(expected_error, dict) else None
        if code is not None and code != err.code:
            return f"expected error code {code}, got {err.code} ({err})"
        return None
    if "expected" in case:
        if err is not None:
            return f"unexpected error {err.code}: {err}"
        return mismatch(case["expected"], out)
    return "case has neither `expected` nor `expectedError`"


FILES = vector_files()


def _id(p: Path) -> str:
    try:
        return str(p.relative_to(REPO_ROOT / "tests" / "vectors"))
    except ValueError:
        return str(p)


@pytest.mark.parametrize("path", FILES, ids=[_id(p) for p in FILES])
def test_vector(path: Path) -> None:
    why = run_case(path)
    assert why is None, f"{path}: {why}"


def test_vectors_exist() -> None:
    # An empty vector folder would make the parametrized test vanish silently.
    assert FILES, "no vector files found under tests/vectors"


# The runner's own matching rules, so a bug in it cannot hide failures.
@pytest.mark.parametrize(
    "expected,actual,ok",
    [
        ({"a": 1}, {"a": 1, "b": 2}, True),
        ({"a": 1}, {"a": 2}, False),
        ({"a": None}, {}, True),
        ({"a": 1}, {}, False),
        ([1, 2], [1, 2], True),
        ([1], [1, 2], False),
        ([{"k": "v"}], [{"k": "v", "x": 0}], True),
        (0.1 + 0.2, 0.3, True),
        (1, 1.0, True),
        (True, 1, False),
        ("1", 1, False),
        (None, None, True),
        ({"a": {"b": [1, {"c": 3}]}}, {"a": {"b": [1, {"c": 4}]}}, False),
    ],
)
def test_matching_rules(expected: Any, actual: Any, ok: bool) -> None:
    assert (mismatch(expected, actual) is None) is ok


def test_extra_vector_dirs_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import conftest

    case = tmp_path / "extra" / "case.json"
    case.parent.mkdir()
    case.write_text(json.dumps({"name": "x", "function": "no_such_function", "input": {}, "expectedError": {"code": "unknown_function"}}))
    monkeypatch.setenv("ENTRA_VECTORS_DIR", f"{tmp_path / 'extra'}:{tmp_path / 'missing'}")
    files = conftest.vector_files()
    assert case in files
    assert run_case(case) is None
    # The same case with a wrong expected code fails.
    case.write_text(json.dumps({"name": "x", "function": "no_such_function", "input": {}, "expectedError": {"code": "other"}}))
    assert run_case(case) is not None
