"""The exception hierarchy: every class derives from EntraSyncError, carries `.code`, and is
reachable from the Rust codes that map to it."""

from __future__ import annotations

import pytest

import entra_sync

CLASSES = [
    entra_sync.InvalidInput,
    entra_sync.InvalidPattern,
    entra_sync.MappingConflict,
    entra_sync.StaleMapping,
    entra_sync.ConsentRequired,
    entra_sync.AuthError,
    entra_sync.Throttled,
    entra_sync.UpstreamError,
    entra_sync.ConfigurationError,
    entra_sync.Unsupported,
    entra_sync.StoreError,
    entra_sync.SandboxError,
]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_every_class_derives_from_the_base(cls: type) -> None:
    assert issubclass(cls, entra_sync.EntraSyncError)
    assert issubclass(cls, Exception)
    assert cls.__module__ == "entra_sync"
    assert isinstance(cls.code, str) and cls.code


@pytest.mark.parametrize(
    "code,family,cls",
    [
        ("invalid_input", "core", entra_sync.InvalidInput),
        ("unknown_function", "core", entra_sync.InvalidInput),
        ("invalid_pattern", "core", entra_sync.InvalidPattern),
        ("mapping_conflict", "core", entra_sync.MappingConflict),
        ("stale_mapping", "core", entra_sync.StaleMapping),
        ("consent_required", "provider", entra_sync.ConsentRequired),
        ("admin_consent_required", "provider", entra_sync.ConsentRequired),
        ("refresh_token_expired", "provider", entra_sync.AuthError),
        ("invalid_client", "provider", entra_sync.AuthError),
        ("gdap_role_missing", "provider", entra_sync.AuthError),
        ("mfa_or_conditional_access", "provider", entra_sync.AuthError),
        ("unauthorized", "provider", entra_sync.AuthError),
        ("forbidden", "provider", entra_sync.AuthError),
        ("throttled", "provider", entra_sync.Throttled),
        ("upstream_unavailable", "provider", entra_sync.UpstreamError),
        ("unexpected_response", "provider", entra_sync.UpstreamError),
        ("paging_guard", "provider", entra_sync.UpstreamError),
        ("response_too_large", "provider", entra_sync.UpstreamError),
        ("listing_deadline_exceeded", "provider", entra_sync.UpstreamError),
        ("tenant_not_found", "provider", entra_sync.UpstreamError),
        ("configuration", "provider", entra_sync.ConfigurationError),
        ("unsupported", "provider", entra_sync.Unsupported),
        ("store_backend", "store", entra_sync.StoreError),
        ("store_refused", "store", entra_sync.StoreError),
        ("sandbox_start", "sandbox", entra_sync.SandboxError),
        ("runtime_stopped", "core", entra_sync.EntraSyncError),
        ("something_new", "core", entra_sync.EntraSyncError),
    ],
)
def test_codes_map_to_classes(code: str, family: str, cls: type) -> None:
    with pytest.raises(entra_sync.EntraSyncError) as info:
        entra_sync._native._raise_for_code(code, "why it failed", family)
    assert type(info.value) is cls
    assert info.value.code == code
    assert str(info.value) == "why it failed"


def test_every_class_is_reached_by_some_code() -> None:
    reached = set()
    for code, family in [
        ("invalid_input", "core"), ("invalid_pattern", "core"), ("mapping_conflict", "core"),
        ("stale_mapping", "core"), ("consent_required", "provider"), ("unauthorized", "provider"),
        ("throttled", "provider"), ("upstream_unavailable", "provider"),
        ("configuration", "provider"), ("unsupported", "provider"), ("store_backend", "store"),
        ("sandbox_start", "sandbox"), ("internal", "core"),
    ]:
        try:
            entra_sync._native._raise_for_code(code, "x", family)
        except entra_sync.EntraSyncError as e:
            reached.add(type(e))
    assert reached == set(CLASSES) | {entra_sync.EntraSyncError}


def test_invalid_input_from_the_core_names_the_field() -> None:
    with pytest.raises(entra_sync.InvalidInput) as info:
        entra_sync.filter_users({"users": [{"entraObjectId": "u1"}]})
    assert info.value.code == "invalid_input"
    assert "users[0].accountEnabled" in str(info.value)


def test_values_without_a_json_form_are_invalid_input() -> None:
    with pytest.raises(entra_sync.InvalidInput) as info:
        entra_sync.filter_users({"users": [{"entraObjectId": "u1", "accountEnabled": {1, 2}}]})
    assert info.value.code == "invalid_input"
    assert "users[0].accountEnabled" in str(info.value)
    with pytest.raises(entra_sync.InvalidInput):
        entra_sync.filter_users({"users": [], "options": {1: "non-str key"}})
    with pytest.raises(entra_sync.InvalidInput):
        entra_sync.filter_users({"users": [{"entraObjectId": "u1", "accountEnabled": float("nan")}]})
    with pytest.raises(entra_sync.InvalidInput):
        entra_sync.call("filter_users", {"users": [], "n": 10**30})


def test_unknown_function() -> None:
    with pytest.raises(entra_sync.InvalidInput) as info:
        entra_sync.call("no_such_function", {})
    assert info.value.code == "unknown_function"


def test_invalid_pattern_is_raised_by_the_core() -> None:
    with pytest.raises(entra_sync.InvalidPattern) as info:
        entra_sync.filter_users(
            {"users": [], "options": {"customExclusionPatterns": ["ok", "(unclosed"]}}
        )
    assert info.value.code == "invalid_pattern"
    assert "(unclosed" in str(info.value)
    assert info.value.details == {"pattern": "(unclosed"}


def test_a_rust_panic_becomes_an_internal_error() -> None:
    with pytest.raises(entra_sync.EntraSyncError) as info:
        entra_sync._native._panic_for_test()
    assert type(info.value) is entra_sync.EntraSyncError
    assert info.value.code == "internal"
    assert "deliberate panic" in str(info.value)


def test_python_raised_instances_still_carry_a_code() -> None:
    err = entra_sync.Throttled("raised by host code")
    assert err.code == "throttled"
    assert err.details is None


def test_except_base_catches_subclasses() -> None:
    caught = None
    try:
        entra_sync.call("no_such_function", {})
    except entra_sync.EntraSyncError as e:
        caught = e
    assert caught is not None
