"""The authorization_code grant through the token endpoint's core on memory services: the
tokens a code buys, the checks that refuse it, and replay revoking what it bought."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from authgate.appconfig import AppConfiguration
from authgate.core.tokens.endpoint import token
from authgate.core.types import AuthorizationCode
from authgate.crypto.handles import handle_hash
from authgate.errors import InvalidGrant, InvalidRequest, OAuthError, UnauthorizedClient
from tests.core.flow_support import (
    SECRET,
    code_form,
    code_tokens,
    issue_code,
    refreshing_client,
)
from tests.memory import StaticConfig, add_client, add_user, advance, make_services
from tests.support import REDIRECT_URI


async def test_code_buys_access_id_and_refresh_tokens() -> None:
    svc = make_services()
    client = await refreshing_client(svc)
    issued = await issue_code(svc, client)
    advance(svc, 3)
    body = await code_tokens(svc, issued)

    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "id_token"}
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 300)
    now = svc.clock.now()
    claims = svc.keys.verify(body["id_token"])
    assert claims["iss"] == svc.issuer
    assert claims["aud"] == client.client_id
    assert claims["nonce"] == issued.params["nonce"]
    assert claims["sid"] == issued.session.sid
    assert claims["auth_time"] == issued.session.auth_time
    assert (claims["iat"], claims["exp"]) == (int(now), int(now) + 3600)
    assert (claims["grant"], claims["amr"]) == ("authorization_code", ["pwd"])
    assert "at_hash" in claims and "c_hash" in claims

    access = await svc.grants.get_token(handle_hash(body["access_token"]))
    refresh = await svc.grants.get_token(handle_hash(body["refresh_token"]))
    assert access is not None and refresh is not None
    assert (access.kind, refresh.kind) == ("access_token", "refresh_token")
    assert access.grant_id == refresh.grant_id
    assert access.user_id == refresh.user_id == issued.user.user_id
    assert access.scope == refresh.scope == ("openid", "profile", "email")
    assert access.expires_at == now + 300
    assert refresh.expires_at == refresh.grant_expires_at == now + 14400
    code = await svc.grants.get_code(handle_hash(issued.code))
    assert code is not None and code.consumed_at == now


async def test_scope_is_returned_only_when_the_request_names_one() -> None:
    svc = make_services()
    issued = await issue_code(svc, await add_client(svc), scope="openid email")
    body = await token(code_form(issued, scope="anything"), None, svc)
    assert body["scope"] == "openid email"
    assert "refresh_token" not in body  # the client has no refresh_token grant


async def test_no_id_token_without_openid() -> None:
    svc = make_services()
    issued = await issue_code(svc, await add_client(svc), scope="profile")
    body = await code_tokens(svc, issued)
    assert "id_token" not in body


@pytest.mark.parametrize(("scope", "refresh"), [("openid", False), ("openid offline_access", True)])
async def test_offline_access_can_be_required_for_a_refresh_token(
    scope: str, refresh: bool
) -> None:
    config = AppConfiguration(forceOfflineAccessScopeToEnableRefreshToken=True)
    svc = make_services(config=StaticConfig(config))
    client = await refreshing_client(svc, scope=["openid", "offline_access"])
    body = await code_tokens(svc, await issue_code(svc, client, scope=scope))
    assert ("refresh_token" in body) is refresh


async def test_confidential_client_redeems_with_its_secret() -> None:
    svc = make_services()
    client = await refreshing_client(svc, secret=SECRET)
    issued = await issue_code(svc, client, method=None)
    body = await code_tokens(svc, issued, SECRET)
    assert svc.keys.verify(body["id_token"])["aud"] == client.client_id


@pytest.mark.parametrize(
    ("changes", "error", "description"),
    [
        ({"code": None}, InvalidRequest, "The request is missing the code parameter"),
        (
            {"code": "not-a-code"},
            InvalidGrant,
            "The authorization code is invalid or was issued to another client",
        ),
        (
            {"redirect_uri": REDIRECT_URI + "/"},
            InvalidGrant,
            "redirect_uri does not match the one used in the authorization request",
        ),
        (
            {"redirect_uri": None},
            InvalidRequest,
            "redirect_uri is required: the authorization request included one",
        ),
        (
            {"code_verifier": "w" * 64},
            InvalidGrant,
            "code_verifier does not match the code_challenge (PKCE check failed)",
        ),
    ],
)
async def test_refused_redemptions_leave_the_code_redeemable(
    changes: dict[str, str | None], error: type[OAuthError], description: str
) -> None:
    svc = make_services()
    issued = await issue_code(svc, await add_client(svc))
    with pytest.raises(OAuthError) as caught:
        await token(code_form(issued, **changes), None, svc)
    assert type(caught.value) is error
    assert caught.value.description == description
    assert "access_token" in await code_tokens(svc, issued)


async def test_redirect_uri_may_be_omitted_when_the_authorization_request_did() -> None:
    svc = make_services()
    issued = await issue_code(svc, await add_client(svc), send_redirect_uri=False)
    code = await svc.grants.get_code(handle_hash(issued.code))
    assert code is not None
    assert (code.redirect_uri, code.redirect_uri_given) == (REDIRECT_URI, False)
    assert "access_token" in await token(code_form(issued, redirect_uri=None), None, svc)


async def test_another_clients_code_is_refused_and_not_consumed() -> None:
    svc = make_services()
    owner, thief = await add_client(svc), await add_client(svc)
    issued = await issue_code(svc, owner)
    stolen = code_form(issued, client_id=thief.client_id)
    with pytest.raises(InvalidGrant) as caught:
        await token(stolen, None, svc)
    assert caught.value.description == (
        "The authorization code is invalid or was issued to another client"
    )
    assert "access_token" in await code_tokens(svc, issued)


async def test_client_without_the_grant_is_unauthorized() -> None:
    svc = make_services()
    client = await add_client(svc, grant_types=["refresh_token"])
    issued = await issue_code(svc, await add_client(svc))
    with pytest.raises(UnauthorizedClient) as caught:
        await token(code_form(issued, client_id=client.client_id), None, svc)
    assert caught.value.description == (
        "The client is not registered for the authorization_code grant"
    )


@pytest.mark.parametrize(("elapsed", "expired"), [(59, False), (60, True), (3600, True)])
async def test_code_expires_after_its_lifetime(elapsed: int, expired: bool) -> None:
    svc = make_services()
    issued = await issue_code(svc, await add_client(svc))
    advance(svc, elapsed)
    if not expired:
        assert "access_token" in await code_tokens(svc, issued)
        return
    with pytest.raises(InvalidGrant) as caught:
        await code_tokens(svc, issued)
    assert caught.value.description == "The authorization code has expired"


async def test_replay_is_refused_and_revokes_every_token_of_the_grant() -> None:
    svc = make_services()
    issued = await issue_code(svc, await refreshing_client(svc))
    body = await code_tokens(svc, issued)
    advance(svc, 5)
    with pytest.raises(InvalidGrant) as caught:
        await code_tokens(svc, issued)
    assert caught.value.description == (
        "The authorization code has already been used; tokens issued with it are revoked"
    )
    for value in (body["access_token"], body["refresh_token"]):
        record = await svc.grants.get_token(handle_hash(value))
        assert record is not None
        assert record.revoked_at == svc.clock.now()
    refresh = {
        "grant_type": "refresh_token",
        "client_id": issued.client.client_id,
        "refresh_token": body["refresh_token"],
    }
    with pytest.raises(InvalidGrant, match="The refresh token has been revoked"):
        await token(refresh, None, svc)


async def test_replay_after_expiry_still_revokes() -> None:
    svc = make_services()
    issued = await issue_code(svc, await add_client(svc))
    body = await code_tokens(svc, issued)
    advance(svc, 3600)
    with pytest.raises(InvalidGrant, match="already been used"):
        await code_tokens(svc, issued)
    record = await svc.grants.get_token(handle_hash(body["access_token"]))
    assert record is not None and record.revoked_at == svc.clock.now()


async def test_codes_of_other_grants_survive_a_replay() -> None:
    svc = make_services()
    client = await add_client(svc)
    replayed = await issue_code(svc, client)
    other = await issue_code(svc, client, await add_user(svc, "bob"))
    await code_tokens(svc, replayed)
    kept = await code_tokens(svc, other)
    with pytest.raises(InvalidGrant):
        await code_tokens(svc, replayed)
    record = await svc.grants.get_token(handle_hash(kept["access_token"]))
    assert record is not None and record.revoked_at is None


class _StaleCopy:
    """A grant store that answers the next ``get_code`` of a code from a copy taken while it
    was unused, as a process that issued the code may (storage/grants.py), after another
    process has redeemed it."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self._copies: dict[str, AuthorizationCode] = {}

    def keep(self, code: AuthorizationCode) -> None:
        self._copies[code.code_hash] = dataclasses.replace(code, consumed_at=None)

    async def get_code(self, code_hash: str) -> AuthorizationCode | None:
        copy = self._copies.pop(code_hash, None)
        return copy if copy is not None else await self._store.get_code(code_hash)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


async def _redeemed_elsewhere(verifier_ok: bool) -> tuple[Any, dict[str, Any], Any]:
    svc = make_services()
    issued = await issue_code(svc, await refreshing_client(svc))
    stored = await svc.grants.get_code(handle_hash(issued.code))
    assert stored is not None
    body = await code_tokens(svc, issued)  # redeemed by "another process"
    stale = _StaleCopy(svc.grants)
    stale.keep(stored)
    svc = dataclasses.replace(svc, grants=stale)
    form = code_form(issued) if verifier_ok else code_form(issued, code_verifier="x" * 43)
    with pytest.raises(InvalidGrant) as caught:
        await token(form, None, svc)
    assert caught.value.description == (
        "The authorization code has already been used; tokens issued with it are revoked"
    )
    return svc, body, stale


@pytest.mark.parametrize("verifier_ok", [True, False], ids=["right verifier", "wrong verifier"])
async def test_a_stale_copy_of_a_redeemed_code_is_still_a_replay(verifier_ok: bool) -> None:
    """The store's copy says unused; the guarded redemption (right verifier) or the check
    made again on the stored code (wrong verifier) finds the replay, and the tokens the code
    bought are revoked either way."""
    svc, body, stale = await _redeemed_elsewhere(verifier_ok)
    assert stale._copies == {}  # the copy was handed out once
    for value in (body["access_token"], body["refresh_token"]):
        record = await svc.grants.get_token(handle_hash(value))
        assert record is not None and record.revoked_at == svc.clock.now()
