"""Known secret values never come back: every failing call below runs with the client secret,
the partner refresh token, a live access token, the CIPP secret and the OAuth state key in play,
and none of them may appear in the exception's text, ``repr``, ``details`` or cause chain, in the
``repr`` of the objects involved, or in any log record (captured at the most verbose level)."""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Iterator, List, Tuple

import pytest

import entra_sync
from conftest import sign_in_settings

KEY = "state-signing-key-" + "s" * 30
REDIRECT = "https://psa.example/entra/callback"
TRACE = 5


@pytest.fixture
def sandbox() -> Iterator[entra_sync.Sandbox]:
    with entra_sync.Sandbox.start({"seed": 11, "tenants": 3, "usersPerTenant": 6}) as sb:
        yield sb


def sign_in(sb: entra_sync.Sandbox) -> Dict[str, Any]:
    return sign_in_settings(sb, REDIRECT, maxRetries=1)


def quick(settings: Dict[str, Any]) -> Dict[str, Any]:
    return {**settings, "policy": {"baseDelay": 0.001, "maxDelay": 0.01, "maxRetries": 1}}


Scenario = Callable[[entra_sync.Sandbox, Dict[str, str]], Awaitable[Any]]


async def graph_wrong_client_secret(sb: entra_sync.Sandbox, s: Dict[str, str]) -> Any:
    settings = quick(sb.graph_settings())
    settings["clientSecret"] = s["wrong"]
    return await entra_sync.GraphProvider(settings).list_managed_tenants()


async def graph_revoked_refresh_token(sb: entra_sync.Sandbox, s: Dict[str, str]) -> Any:
    sb.revoke_refresh_tokens()
    return await entra_sync.GraphProvider(quick(sb.graph_settings())).list_managed_tenants()


async def graph_consent_missing(sb: entra_sync.Sandbox, s: Dict[str, str]) -> Any:
    tid = sb.tenants()[1]["tenantId"]
    sb.update_faults({"tokenErrors": {tid: "consent_missing"}})
    return await entra_sync.GraphProvider(quick(sb.graph_settings())).list_users(tid)


async def graph_server_errors(sb: entra_sync.Sandbox, s: Dict[str, str]) -> Any:
    sb.update_faults({"graphUnavailableRate": 1.0})
    return await entra_sync.GraphProvider(quick(sb.graph_settings())).list_managed_tenants()


async def graph_with_stale_access_token(sb: entra_sync.Sandbox, s: Dict[str, str]) -> Any:
    settings = quick(sb.graph_settings())
    settings["accessToken"] = s["access"]
    settings["expiresAt"] = 1
    sb.revoke_refresh_tokens()
    return await entra_sync.GraphProvider(settings).list_managed_tenants()


async def graph_settings_refused(sb: entra_sync.Sandbox, s: Dict[str, str]) -> Any:
    settings = quick(sb.graph_settings())
    settings["graphBase"] = "ftp://graph.example/v1.0"
    return entra_sync.GraphProvider(settings)


async def cipp_wrong_client_secret(sb: entra_sync.Sandbox, s: Dict[str, str]) -> Any:
    settings = quick(sb.cipp_settings())
    settings["clientSecret"] = s["wrong"]
    return await entra_sync.CippProvider(settings).list_managed_tenants()


async def cipp_gateway_errors(sb: entra_sync.Sandbox, s: Dict[str, str]) -> Any:
    sb.update_faults({"cippGatewayErrorRate": 1.0})
    return await entra_sync.CippProvider(quick(sb.cipp_settings())).list_managed_tenants()


async def refresh_revoked(sb: entra_sync.Sandbox, s: Dict[str, str]) -> Any:
    sb.revoke_refresh_tokens()
    return await entra_sync.refresh_tokens(sign_in(sb), s["refresh"])


async def exchange_unknown_code(sb: entra_sync.Sandbox, s: Dict[str, str]) -> Any:
    return await entra_sync.exchange_code(sign_in(sb), "not-a-code", "v" * 43)


async def state_tampered(sb: entra_sync.Sandbox, s: Dict[str, str]) -> Any:
    start = entra_sync.authorize_url(sign_in(sb), KEY, "t", "u")
    state = start["state"][:-2] + ("AA" if not start["state"].endswith("AA") else "BB")
    return entra_sync.verify_state(state, KEY, "t", "u", REDIRECT)


async def state_for_someone_else(sb: entra_sync.Sandbox, s: Dict[str, str]) -> Any:
    start = entra_sync.authorize_url(sign_in(sb), KEY, "t", "u")
    return entra_sync.verify_state(start["state"], KEY, "t", "mallory", REDIRECT)


async def state_key_too_short(sb: entra_sync.Sandbox, s: Dict[str, str]) -> Any:
    return entra_sync.authorize_url(sign_in(sb), KEY[:10], "t", "u")


SCENARIOS: List[Tuple[str, Scenario]] = [
    ("graph_wrong_client_secret", graph_wrong_client_secret),
    ("graph_revoked_refresh_token", graph_revoked_refresh_token),
    ("graph_consent_missing", graph_consent_missing),
    ("graph_server_errors", graph_server_errors),
    ("graph_with_stale_access_token", graph_with_stale_access_token),
    ("graph_settings_refused", graph_settings_refused),
    ("cipp_wrong_client_secret", cipp_wrong_client_secret),
    ("cipp_gateway_errors", cipp_gateway_errors),
    ("refresh_revoked", refresh_revoked),
    ("exchange_unknown_code", exchange_unknown_code),
    ("state_tampered", state_tampered),
    ("state_for_someone_else", state_for_someone_else),
    ("state_key_too_short", state_key_too_short),
]


def exception_texts(err: BaseException) -> List[str]:
    texts: List[str] = []
    seen = 0
    current: BaseException | None = err
    while current is not None and seen < 10:
        texts += [str(current), repr(current), repr(getattr(current, "details", None))]
        current = current.__cause__ or current.__context__
        seen += 1
    return texts


@pytest.mark.asyncio
@pytest.mark.parametrize("name,scenario", SCENARIOS, ids=[n for n, _ in SCENARIOS])
async def test_no_secret_in_errors_reprs_or_logs(
    name: str, scenario: Scenario, sandbox: entra_sync.Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    c = sandbox.credentials
    live = await entra_sync.refresh_tokens(sign_in(sandbox), c["partnerRefreshToken"])
    secrets = {
        "client": c["clientSecret"],
        "refresh": c["partnerRefreshToken"],
        "rotated": live["refreshToken"],
        "access": live["accessToken"],
        "cipp": c["cippClientSecret"],
        "key": KEY,
        "wrong": "wrong-secret-" + "w" * 24,
    }
    texts: List[str] = []
    with caplog.at_level(TRACE, logger="entra_sync"):
        entra_sync.refresh_log_level()
        try:
            result = await scenario(sandbox, secrets)
        except entra_sync.EntraSyncError as err:
            assert err.code, name
            texts += exception_texts(err)
        else:
            pytest.fail(f"{name} did not fail: {result!r}")
        texts += [repr(entra_sync.GraphProvider(sandbox.graph_settings()))]
        texts += [repr(entra_sync.CippProvider(sandbox.cipp_settings()))]
        texts += [repr(sandbox)]
    for record in caplog.records:
        texts += [record.getMessage(), repr(record.__dict__)]
    # Calls that reach a service log at trace level, so the sweep covers real log lines.
    talks_to_a_service = not (name.startswith("state") or name.endswith("refused"))
    assert any(r.name == "entra_sync" for r in caplog.records) or not talks_to_a_service, name
    for label, secret in secrets.items():
        for text in texts:
            assert secret not in text, f"{name}: the {label} secret leaked into {text[:200]!r}"


def test_a_secret_in_a_settings_key_name_is_not_echoed_whole() -> None:
    secret = "x" * 5000
    with pytest.raises(entra_sync.InvalidInput) as info:
        entra_sync.GraphProvider({"clientId": "c", secret: "v"})  # type: ignore[misc]
    assert secret not in str(info.value)
    assert len(str(info.value)) < 1_200
