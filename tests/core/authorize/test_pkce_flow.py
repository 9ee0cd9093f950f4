"""PKCE (RFC 7636) across both endpoints on memory services: what the authorization request
must carry, and the verifier the token request must prove it with."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.appconfig import AppConfiguration
from authgate.core.authorize import request as authorize
from authgate.core.tokens.endpoint import token
from authgate.errors import InvalidGrant, InvalidRequest, OAuthError, RedirectError
from tests.core.flow_support import SECRET, basic, code_form, issue_code
from tests.memory import StaticConfig, add_client, make_services
from tests.support import authorize_params, s256

VERIFIER = "A" * 43 + "-._~" + "z" * 20
CHALLENGE = s256(VERIFIER)


async def _refused_at_authorize(
    config: AppConfiguration | None, secret: str | None = None, **client: Any
) -> str:
    """The description of the error an authorization request without PKCE gets."""
    svc = make_services(config=StaticConfig(config))
    registered = await add_client(svc, secret=secret, **client)
    params = authorize_params(registered.client_id, None, None)
    with pytest.raises(RedirectError) as caught:
        await authorize.validate(params, svc)
    assert isinstance(caught.value.cause, InvalidRequest)
    return caught.value.cause.description


async def test_public_client_must_send_a_challenge() -> None:
    description = await _refused_at_authorize(None)
    assert description.startswith("PKCE is required for public clients")


@pytest.mark.parametrize(
    ("config", "client"),
    [
        (AppConfiguration(requirePkce=True), {}),
        (None, {"require_pkce": True}),
    ],
)
async def test_confidential_client_must_send_one_when_required(
    config: AppConfiguration | None, client: dict[str, Any]
) -> None:
    description = await _refused_at_authorize(config, secret=SECRET, **client)
    assert description.startswith("PKCE is required for this client")


async def test_confidential_client_may_omit_pkce_by_default() -> None:
    svc = make_services()
    client = await add_client(svc, secret=SECRET)
    request, _ = await authorize.validate(authorize_params(client.client_id, None, None), svc)
    assert (request.code_challenge, request.code_challenge_method) == (None, None)


@pytest.mark.parametrize(
    ("config", "challenge", "method", "description"),
    [
        (
            AppConfiguration(codeChallengeMethodsSupported=["S256"]),
            VERIFIER,
            "plain",
            "code_challenge_method 'plain' is not allowed by this server; use S256",
        ),
        (
            AppConfiguration(oauth21ProfileEnabled=True),
            VERIFIER,
            "plain",
            "code_challenge_method 'plain' is not allowed by this server; use S256",
        ),
        (  # no method means plain (RFC 7636 §4.3)
            AppConfiguration(codeChallengeMethodsSupported=["S256"]),
            VERIFIER,
            None,
            "code_challenge_method 'plain' is not allowed by this server; use S256",
        ),
        (
            None,
            CHALLENGE,
            "S512",
            "code_challenge_method 'S512' is not supported; use S256 or plain",
        ),
        (None, CHALLENGE[:-1], "S256", "code_challenge for S256 must be 43 base64url characters"),
        (None, "short", "plain", "code_challenge for plain must be 43-128 characters"),
        (None, None, "S256", "code_challenge_method was sent without code_challenge"),
    ],
)
async def test_refused_challenges(
    config: AppConfiguration | None, challenge: str | None, method: str | None, description: str
) -> None:
    svc = make_services(config=StaticConfig(config))
    client = await add_client(svc)
    params = authorize_params(client.client_id, challenge, method)
    with pytest.raises(RedirectError) as caught:
        await authorize.validate(params, svc)
    assert isinstance(caught.value.cause, InvalidRequest)
    assert caught.value.cause.description.startswith(description)


@pytest.mark.parametrize(("method", "canonical"), [("S256", "S256"), ("s256", "S256")])
async def test_method_is_matched_case_insensitively(method: str, canonical: str) -> None:
    svc = make_services()
    client = await add_client(svc)
    params = authorize_params(client.client_id, CHALLENGE, method)
    request, _ = await authorize.validate(params, svc)
    assert (request.code_challenge, request.code_challenge_method) == (CHALLENGE, canonical)


async def test_the_profile_matches_the_method_exactly() -> None:
    """RFC 7636 §4.3 spells the method ``S256``; the OAuth 2.1 profile accepts only that."""
    svc = make_services(config=StaticConfig(AppConfiguration(oauth21ProfileEnabled=True)))
    client = await add_client(svc)
    with pytest.raises(RedirectError) as caught:
        await authorize.validate(authorize_params(client.client_id, CHALLENGE, "s256"), svc)
    assert isinstance(caught.value.cause, InvalidRequest)
    assert "code_challenge_method 's256' is not supported" in caught.value.cause.description
    request, _ = await authorize.validate(
        authorize_params(client.client_id, CHALLENGE, "S256"), svc
    )
    assert request.code_challenge_method == "S256"


@pytest.mark.parametrize("method", ["S256", "plain"])
async def test_the_matching_verifier_is_accepted(method: str) -> None:
    svc = make_services()
    issued = await issue_code(svc, await add_client(svc), method=method, verifier=VERIFIER)
    body = await token(code_form(issued), None, svc)
    assert body["token_type"] == "Bearer"


@pytest.mark.parametrize(
    ("verifier", "error", "description"),
    [
        (
            "B" * 64,
            InvalidGrant,
            "code_verifier does not match the code_challenge (PKCE check failed)",
        ),
        (
            None,
            InvalidGrant,
            "code_verifier is required: the authorization request carried a code_challenge",
        ),
        (
            "A" * 42,
            InvalidRequest,
            "code_verifier must be 43 to 128 characters long, got 42 (RFC 7636 §4.1)",
        ),
        (
            "A" * 42 + "!",
            InvalidRequest,
            "code_verifier may contain only the characters [A-Za-z0-9-._~] (RFC 7636 §4.1)",
        ),
        (CHALLENGE, InvalidGrant, "code_verifier does not match"),  # the S256 challenge itself
    ],
)
async def test_wrong_or_missing_verifier_is_refused_and_the_code_survives(
    verifier: str | None, error: type[OAuthError], description: str
) -> None:
    svc = make_services()
    issued = await issue_code(svc, await add_client(svc), verifier=VERIFIER)
    with pytest.raises(OAuthError) as caught:
        await token(code_form(issued, code_verifier=verifier), None, svc)
    assert type(caught.value) is error
    assert caught.value.description.startswith(description)
    # a failed check does not consume the code: the real client still redeems it
    assert "access_token" in await token(code_form(issued), None, svc)


async def test_verifier_for_a_code_without_challenge_is_a_downgrade() -> None:
    svc = make_services()
    client = await add_client(svc, secret=SECRET)
    issued = await issue_code(svc, client, method=None)
    header = basic(client.client_id, SECRET)
    with pytest.raises(InvalidGrant, match="PKCE downgrade refused"):
        await token(code_form(issued, code_verifier=VERIFIER), header, svc)
    assert "access_token" in await token(code_form(issued), header, svc)
