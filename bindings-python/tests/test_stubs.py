"""The hand-written stubs cannot go stale: every public name in `_native.pyi` exists in the native
module and vice versa (functions, classes and their public methods), `__init__.py` exports what
it lists, and real outputs use only keys their TypedDicts declare."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any, Dict, List, Union, get_args, get_origin, get_type_hints

import pytest

import entra_sync
from entra_sync import _native, types

STUB = Path(entra_sync.__file__).with_name("_native.pyi")


def _public(name: str) -> bool:
    return not name.startswith("_")


def stub_names() -> Dict[str, Any]:
    """Top-level public names of the stub; classes map to the set of their public members."""
    tree = ast.parse(STUB.read_text(encoding="utf-8"))
    names: Dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _public(node.name):
            names[node.name] = None
        elif isinstance(node, ast.ClassDef) and _public(node.name):
            members = set()
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and _public(item.name):
                    members.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    if _public(item.target.id):
                        members.add(item.target.id)
            names[node.name] = members
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if _public(node.target.id):
                names[node.target.id] = None
    return names


def module_names() -> Dict[str, Any]:
    names: Dict[str, Any] = {}
    for name in dir(_native):
        if not _public(name):
            continue
        obj = getattr(_native, name)
        if inspect.isclass(obj) and not issubclass(obj, BaseException):
            # Members a class inherits from a native base (the shared store and provider
            # methods) are its members as much as its own: the stub lists them on the class.
            bases = [k for k in obj.__mro__ if k is not object]
            names[name] = {m for k in bases for m in vars(k) if _public(m)}
        elif inspect.isclass(obj):
            names[name] = {"code", "details"}
        else:
            names[name] = None
    return names


def test_stub_file_is_shipped() -> None:
    assert STUB.is_file()
    assert Path(entra_sync.__file__).with_name("py.typed").is_file()


def test_stub_and_module_have_the_same_names() -> None:
    stub, module = stub_names(), module_names()
    assert sorted(set(stub) - set(module)) == [], "in the stub but not in the module"
    assert sorted(set(module) - set(stub)) == [], "in the module but not in the stub"


def test_stub_classes_have_the_same_members() -> None:
    stub, module = stub_names(), module_names()
    for name, members in module.items():
        if members is None:
            continue
        assert stub[name] == members, f"class {name}: stub {sorted(stub[name] or [])} != module {sorted(members)}"


def test_package_exports_exist() -> None:
    for name in entra_sync.__all__:
        assert hasattr(entra_sync, name), name
    # Everything public in the native module is re-exported by the package.
    for name in module_names():
        assert name in entra_sync.__all__, name


# ---- outputs against their TypedDicts --------------------------------------------------------


def undeclared_keys(value: Any, hint: Any, path: str = "$") -> List[str]:
    """Paths of keys present in `value` but not declared by the TypedDict `hint` (recursively)."""
    origin = get_origin(hint)
    if origin is Union:
        problems = None
        for option in get_args(hint):
            found = undeclared_keys(value, option, path)
            if not found:
                return []
            problems = found if problems is None else problems
        return problems or []
    if origin in (list, List) and isinstance(value, list):
        (item_hint,) = get_args(hint) or (Any,)
        out: List[str] = []
        for i, item in enumerate(value):
            out.extend(undeclared_keys(item, item_hint, f"{path}[{i}]"))
        return out
    if isinstance(hint, type) and issubclass(hint, dict) and hasattr(hint, "__annotations__"):
        if not isinstance(value, dict):
            return [f"{path}: expected an object"]
        hints = get_type_hints(hint)
        out = []
        for key, item in value.items():
            if key not in hints:
                out.append(f"{path}.{key}")
            else:
                out.extend(undeclared_keys(item, hints[key], f"{path}.{key}"))
        return out
    return []


def _run_vector_outputs() -> List[Any]:
    import json

    from conftest import vector_files

    outputs = []
    for path in vector_files():
        case = json.loads(path.read_text(encoding="utf-8"))
        if "expected" not in case or case.get("function") not in OUTPUT_TYPES:
            continue
        fn = case["function"]
        try:
            if fn == "apply_plan":
                out = entra_sync.apply_plan(case["input"])
            else:
                out = getattr(entra_sync, fn)(case["input"])
        except entra_sync.EntraSyncError:
            continue
        outputs.append((path.name, fn, out))
    return outputs


OUTPUT_TYPES = {
    "filter_users": types.FilterOutput,
    "plan_tenant_sync": types.SyncPlan,
    "apply_plan": types.PlanInput,
    "preview_mappings": getattr(types, "PreviewOutput", None),
    "merge_discovery": getattr(types, "MergeDiscoveryOutput", None),
    "plan_mapping_changes": getattr(types, "MappingChangesOutput", None),
}
OUTPUT_TYPES = {k: v for k, v in OUTPUT_TYPES.items() if v is not None}


def test_outputs_only_use_declared_keys() -> None:
    outputs = _run_vector_outputs()
    if not outputs:
        pytest.skip("no successful vector outputs to check yet")
    problems = []
    for name, fn, out in outputs:
        for p in undeclared_keys(out, OUTPUT_TYPES[fn]):
            problems.append(f"{name} ({fn}): {p}")
    assert problems == [], "\n".join(problems[:50])


def test_the_key_checker_itself_finds_undeclared_keys() -> None:
    good = {"included": [{"entraObjectId": "u", "accountEnabled": True}], "excluded": []}
    bad = {"included": [{"entraObjectId": "u", "accountEnabled": True, "surprise": 1}], "excluded": []}
    assert undeclared_keys(good, types.FilterOutput) == []
    assert undeclared_keys(bad, types.FilterOutput) == ["$.included[0].surprise"]
