"""The core runs end to end on ``tests.memory.make_services``: no HTTP, no database."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.appconfig import AppConfiguration
from authgate.core.authorize import interaction
from authgate.core.authorize import request as authorize
from authgate.core.authorize.request import AuthorizationResponse, NeedConsent, NeedLogin
from authgate.core.authorize.response import issue
from authgate.core.logout.end_session import logout
from authgate.core.registration.endpoint import register
from authgate.core.tokens.endpoint import token
from authgate.core.tokens.userinfo import active_access_token, userinfo
from authgate.errors import AccessDenied, InvalidGrant
from tests.memory import (
    RecordingLogoutNotifier,
    StaticConfig,
    add_client,
    add_session,
    add_user,
    advance,
    double,
    make_services,
    signing_keys,
)
from tests.memory.services import shared_key_ring
from tests.support import PASSWORD, USERNAME, authorize_params, flow_registration_body, s256


async def test_registration_stores_the_client_it_returns() -> None:
    svc = make_services()
    registration = await register(flow_registration_body(), svc)
    stored = await svc.clients.get(registration.client.client_id)
    assert stored == registration.client
    assert stored.metadata.scope == ("email", "openid", "profile")
    assert registration.client_secret is None  # token_endpoint_auth_method none


async def test_code_flow_from_authorize_to_userinfo() -> None:
    svc = make_services()
    user = await add_user(svc, email="alice@example.com", email_verified=True)
    client = await add_client(svc)
    verifier = "v" * 64
    params = authorize_params(client.client_id, s256(verifier), "S256")

    request, _client = await authorize.validate(params, svc)
    assert await authorize.decide(request, None, svc) == NeedLogin()
    started, browser = await interaction.begin(request, None, None, svc)
    loaded = await interaction.load(started.interaction_id, browser, svc)
    logged_in, session, _cookie = await interaction.login(loaded, USERNAME, PASSWORD, svc)
    assert session.user_id == user.user_id
    assert await interaction.advance(logged_in, session, svc) == NeedConsent(request.scope)
    issued = await interaction.consent(logged_in, session, True, svc)
    assert isinstance(issued, AuthorizationResponse)
    assert issued.params["state"] == params["state"]
    assert await svc.consents.granted(user.user_id, client.client_id) == set(request.scope)

    advance(svc, 5)
    form = {
        "grant_type": "authorization_code",
        "client_id": client.client_id,
        "code": issued.params["code"],
        "redirect_uri": params["redirect_uri"],
        "code_verifier": verifier,
    }
    body = await token(form, None, svc)
    claims = svc.keys.verify(body["id_token"])
    assert claims["nonce"] == params["nonce"]
    assert claims["iss"] == svc.issuer
    record = await active_access_token(body["access_token"], svc)
    assert (await userinfo(record, svc)).claims["email"] == "alice@example.com"

    with pytest.raises(InvalidGrant, match="already been used"):
        await token(form, None, svc)
    revoked = await svc.grants.get_token(record.token_hash)
    assert revoked is not None
    assert revoked.revoked_at == svc.clock.now()


async def test_overrides_replace_fields_and_the_clock_expires_codes() -> None:
    unknown: dict[str, Any] = {"database": None}
    closed = StaticConfig(AppConfiguration(dynamicRegistrationEnabled=False))
    with pytest.raises(AccessDenied):
        await register(flow_registration_body(), make_services(config=closed))
    with pytest.raises(TypeError, match="no field"):
        make_services(**unknown)

    svc = make_services()
    await add_user(svc)
    client = await add_client(svc)
    verifier = "w" * 64
    params = authorize_params(client.client_id, s256(verifier), "S256")
    request, _ = await authorize.validate(params, svc)
    started, _browser = await interaction.begin(request, None, None, svc)
    logged_in, session, _ = await interaction.login(started, USERNAME, PASSWORD, svc)
    issued = await interaction.consent(logged_in, session, True, svc)
    assert isinstance(issued, AuthorizationResponse)
    advance(svc, svc.config.current.authorizationCodeLifetime)
    form = {
        "grant_type": "authorization_code",
        "client_id": client.client_id,
        "code": issued.params["code"],
        "code_verifier": verifier,
    }
    with pytest.raises(InvalidGrant, match="expired"):
        await token(form, None, svc)


async def test_logout_notifies_the_session_clients_and_revokes_their_tokens() -> None:
    svc = make_services()
    user = await add_user(svc)
    client = await add_client(svc, backchannel_logout_uri=["https://rp.example.test/logout"])
    bystander = await add_client(svc)
    session, _cookie = await add_session(svc, user)
    verifier = "x" * 64
    params = authorize_params(client.client_id, s256(verifier), "S256")
    request, _ = await authorize.validate(params, svc)
    issued = await issue(request, session, client, svc)
    form = {
        "grant_type": "authorization_code",
        "client_id": client.client_id,
        "code": issued.params["code"],
        "redirect_uri": params["redirect_uri"],
        "code_verifier": verifier,
    }
    record = await active_access_token((await token(form, None, svc))["access_token"], svc)

    await logout(session, svc)

    notices = double(svc.logout, RecordingLogoutNotifier).notices
    assert [(n.client_id, n.uri) for n in notices] == [
        (client.client_id, "https://rp.example.test/logout")
    ]
    claims = svc.keys.verify(notices[0].logout_token)
    assert (claims["aud"], claims["sid"]) == (client.client_id, session.sid)
    assert bystander.client_id not in await svc.grants.session_clients(session.sid)
    assert await svc.sessions.get(session.session_hash) is None
    revoked = await svc.grants.get_token(record.token_hash)
    assert revoked is not None
    assert revoked.revoked_at is not None


async def test_services_share_one_key_ring_whose_keys_cannot_change() -> None:
    first, second = make_services(), make_services()
    assert first.keys is second.keys is shared_key_ring()
    with pytest.raises(TypeError, match="cannot change"):
        shared_key_ring().load(signing_keys())
    token = first.keys.sign({"sub": "x"})
    assert second.keys.verify(token)["sub"] == "x"
