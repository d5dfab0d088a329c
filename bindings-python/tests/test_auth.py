"""The partner sign-in against the sandbox's login service: authorize URL with PKCE and a signed
state, state verification, code exchange and refresh-token rotation."""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Dict, Iterator

import pytest

import entra_sync
from conftest import sign_in_settings

KEY = "k" * 40
REDIRECT = "https://psa.example/entra/callback"


@pytest.fixture
def sandbox() -> Iterator[entra_sync.Sandbox]:
    with entra_sync.Sandbox.start() as sb:
        yield sb


def settings(sb: entra_sync.Sandbox) -> Dict[str, object]:
    return sign_in_settings(sb, REDIRECT)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def follow_consent(url: str) -> Dict[str, str]:
    """The sandbox's consent screen approves at once; return the callback's query."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(url, timeout=5)
    except urllib.error.HTTPError as e:
        location = e.headers["Location"]
    else:
        raise AssertionError("the authorize endpoint did not redirect")
    assert location.startswith(REDIRECT)
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


@pytest.mark.asyncio
async def test_the_whole_sign_in(sandbox: entra_sync.Sandbox) -> None:
    start = entra_sync.authorize_url(settings(sandbox), KEY, "host-tenant", "user-1")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(start["url"]).query))
    assert query["code_challenge_method"] == "S256"
    assert query["state"] == start["state"]
    assert start["url"].startswith(sandbox.login_base_url)

    callback = follow_consent(start["url"])
    claims = entra_sync.verify_state(callback["state"], KEY, "host-tenant", "user-1", REDIRECT)
    assert claims["tenant"] == "host-tenant" and claims["user"] == "user-1"

    tokens = await entra_sync.exchange_code(settings(sandbox), callback["code"], start["codeVerifier"])
    assert tokens["accessToken"] and tokens["refreshToken"] and tokens["expiresAt"] > 0

    rotated = await entra_sync.refresh_tokens(settings(sandbox), tokens["refreshToken"])
    assert rotated["refreshToken"] and rotated["refreshToken"] != tokens["refreshToken"]

    # The code is single-use.
    with pytest.raises(entra_sync.EntraSyncError) as info:
        await entra_sync.exchange_code(settings(sandbox), callback["code"], start["codeVerifier"])
    assert isinstance(info.value, entra_sync.AuthError)
    assert callback["code"] not in str(info.value)


@pytest.mark.parametrize(
    "tenant,user,redirect,key,code",
    [
        ("other-tenant", "user-1", REDIRECT, KEY, "state_tenant_mismatch"),
        ("host-tenant", "user-2", REDIRECT, KEY, "state_user_mismatch"),
        ("host-tenant", "user-1", "https://evil.example/cb", KEY, "state_redirect_mismatch"),
        ("host-tenant", "user-1", REDIRECT, "z" * 40, "state_bad_signature"),
    ],
)
def test_state_verification_failures(
    sandbox: entra_sync.Sandbox, tenant: str, user: str, redirect: str, key: str, code: str
) -> None:
    start = entra_sync.authorize_url(settings(sandbox), KEY, "host-tenant", "user-1")
    with pytest.raises(entra_sync.AuthError) as info:
        entra_sync.verify_state(start["state"], key, tenant, user, redirect)
    assert info.value.code == code


def test_malformed_and_expired_states(sandbox: entra_sync.Sandbox) -> None:
    with pytest.raises(entra_sync.AuthError) as info:
        entra_sync.verify_state("not-a-state", KEY, "t", "u", REDIRECT)
    assert info.value.code == "state_malformed"
    start = entra_sync.authorize_url(settings(sandbox), KEY, "t", "u")
    assert entra_sync.verify_state(start["state"], KEY, "t", "u", REDIRECT, ttl=60)["user"] == "u"
    time.sleep(2.1)
    with pytest.raises(entra_sync.AuthError) as info:
        entra_sync.verify_state(start["state"], KEY, "t", "u", REDIRECT, ttl=1)
    assert info.value.code == "state_expired"
    with pytest.raises(entra_sync.InvalidInput):
        entra_sync.verify_state(start["state"], KEY, "t", "u", REDIRECT, ttl=-1)


def test_a_replayed_state_is_refused_through_the_nonce_hook(sandbox: entra_sync.Sandbox) -> None:
    used: Dict[str, int] = {}

    def consume_nonce(nonce: str, expires_at_ms: int) -> bool:
        if nonce in used:
            return False
        used[nonce] = expires_at_ms
        return True

    start = entra_sync.authorize_url(settings(sandbox), KEY, "t", "u")
    claims = entra_sync.verify_state(start["state"], KEY, "t", "u", REDIRECT, consume_nonce=consume_nonce)
    assert claims["user"] == "u" and list(used) == [claims["nonce"]]
    assert used[claims["nonce"]] > time.time() * 1000
    with pytest.raises(entra_sync.AuthError) as info:
        entra_sync.verify_state(start["state"], KEY, "t", "u", REDIRECT, consume_nonce=consume_nonce)
    assert info.value.code == "state_replayed"
    # A state refused for another reason consumes nothing.
    other = entra_sync.authorize_url(settings(sandbox), KEY, "t", "u")
    with pytest.raises(entra_sync.AuthError):
        entra_sync.verify_state(other["state"], KEY, "t", "other-user", REDIRECT, consume_nonce=consume_nonce)
    assert len(used) == 1

    def broken(nonce: str, expires_at_ms: int) -> bool:
        raise RuntimeError("cache down: secret-ish detail")

    with pytest.raises(entra_sync.AuthError) as info:
        entra_sync.verify_state(other["state"], KEY, "t", "u", REDIRECT, consume_nonce=broken)
    assert info.value.code == "state_nonce_unavailable"
    assert "secret-ish" not in str(info.value)


def test_a_short_signing_key_is_refused(sandbox: entra_sync.Sandbox) -> None:
    with pytest.raises(entra_sync.EntraSyncError) as info:
        entra_sync.authorize_url(settings(sandbox), "short", "t", "u")
    assert info.value.code == "state_weak_key"
    assert "short" not in str(info.value)


@pytest.mark.asyncio
async def test_a_revoked_refresh_token_is_an_auth_error(sandbox: entra_sync.Sandbox) -> None:
    token = sandbox.credentials["partnerRefreshToken"]
    sandbox.revoke_refresh_tokens()
    with pytest.raises(entra_sync.AuthError) as info:
        await entra_sync.refresh_tokens(settings(sandbox), token)
    assert info.value.code == "refresh_token_expired"
    assert token not in f"{info.value} {info.value.details}"
