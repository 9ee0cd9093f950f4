"""Request objects (RFC 9101, OIDC Core §6) through the authorization endpoint's core and
PAR on memory services: by value and by reference, every check of the object, precedence
over the query, the signed-object requirement, and the claims parameter inside one."""

from __future__ import annotations

import json
from typing import Any

import pytest

from authgate.core.authorize import par
from authgate.core.authorize import request as authorize
from authgate.core.ports import Services
from authgate.core.types import Client
from authgate.errors import (
    InvalidRequest,
    InvalidRequestObject,
    InvalidRequestUri,
    OAuthError,
    RedirectError,
    RequestNotSupported,
    RequestUriNotSupported,
)
from tests.memory import (
    StaticConfig,
    StaticJwksSource,
    StaticRequestObjects,
    add_client,
    double,
    make_services,
)
from tests.request_objects import ec_key, jwks, request_claims, rsa_key, sign, unsigned
from tests.support import REDIRECT_URI, s256

CHALLENGE = s256("v" * 64)
URI = "https://rp.example/request.jwt"


def _inner(**extra: Any) -> dict[str, Any]:
    """The authorization request a request object carries."""
    return {
        "response_type": "code",
        "scope": "openid email",
        "redirect_uri": REDIRECT_URI,
        "state": "from-object",
        "nonce": "n-1",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        **extra,
    }


async def _client(svc: Services, **metadata: Any) -> Client:
    metadata.setdefault("jwks", jwks(rsa_key(), ec_key()))
    return await add_client(svc, **metadata)


async def _validate(svc: Services, client: Client, **params: str) -> Any:
    request, _ = await authorize.validate({"client_id": client.client_id, **params}, svc)
    return request


def _token(client: Client, svc: Services, alg: str = "RS256", **kw: Any) -> str:
    params = kw.pop("params", _inner())
    key = ec_key() if alg == "ES256" else rsa_key()
    return sign(request_claims(client.client_id, svc.clock.now(), params, **kw), key, alg)


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256"])
async def test_by_value(alg: str) -> None:
    svc = make_services()
    client = await _client(svc)
    request = await _validate(svc, client, request=_token(client, svc, alg))
    assert request.scope == ("openid", "email")
    assert (request.state, request.nonce, request.code_challenge) == (
        "from-object",
        "n-1",
        CHALLENGE,
    )


async def test_object_members_win_over_the_query_and_the_rest_is_kept() -> None:
    svc = make_services()
    client = await _client(svc)
    request = await _validate(
        svc,
        client,
        request=_token(client, svc),
        response_type="code",
        state="from-query",
        login_hint="alice",
    )
    assert request.state == "from-object"
    assert request.login_hint == "alice"


async def test_by_reference() -> None:
    svc = make_services()
    client = await _client(svc)
    fetcher = double(svc.request_objects, StaticRequestObjects)
    fetcher.publish(URI, _token(client, svc))
    request = await _validate(svc, client, request_uri=URI)
    assert request.state == "from-object"
    fetcher.publish(URI, _token(client, svc))  # a new jti
    await _validate(svc, client, request_uri=URI + "#sha256-of-the-object")
    assert fetcher.requests == [URI, URI]  # the fragment stays with the client


async def test_keys_from_jwks_uri() -> None:
    svc = make_services()
    double(svc.jwks, StaticJwksSource).publish("https://rp.example/jwks", jwks(rsa_key()))
    client = await add_client(svc, jwks_uri="https://rp.example/jwks")
    request = await _validate(svc, client, request=_token(client, svc))
    assert request.state == "from-object"


async def _refused(svc: Services, client: Client, error: type[OAuthError], **params: str) -> str:
    """The request fails with exactly ``error`` before the redirect URI is trusted (shown on
    an error page, never redirected); returns the description."""
    with pytest.raises(OAuthError) as caught:
        await _validate(svc, client, **params)
    assert type(caught.value) is error
    return caught.value.description


@pytest.mark.parametrize(
    ("kw", "description"),
    [
        ({"exp": 1}, "The request object has expired"),
        ({"drop": ("exp",)}, "The request object has no exp"),
        ({"nbf": 1_900_000_000}, "The request object is not valid yet (nbf)"),
        ({"iat": 1_900_000_000}, "The request object's iat is in the future"),
        ({"lifetime": 7200}, "The request object's lifetime is longer than 3600 seconds"),
        ({"aud": "https://other.example"}, "The request object's aud must be the issuer"),
        ({"drop": ("aud",)}, "The request object's aud must be the issuer"),
        ({"iss": "someone-else"}, "The request object's iss must be the client_id"),
        (
            {"client_id": "someone-else"},
            "The request object's client_id differs from the request's",
        ),
        ({"exp": "soon"}, "The request object's exp must be a number"),
        ({"jti": 5}, "The request object's jti must be a non-empty string"),
        (
            {"request_uri": URI},
            "A request object must not contain request or request_uri (RFC 9101 §4)",
        ),
    ],
)
async def test_object_claims_checked(kw: dict[str, Any], description: str) -> None:
    svc = make_services()
    client = await _client(svc)
    token = _token(client, svc, **kw)
    assert await _refused(svc, client, InvalidRequestObject, request=token) == description


async def test_response_type_must_match_the_query() -> None:
    svc = make_services()
    client = await _client(svc)
    token = _token(client, svc)
    description = await _refused(
        svc, client, InvalidRequestObject, request=token, response_type="token"
    )
    assert description.startswith("The request object's response_type differs")


async def test_wrong_signature() -> None:
    svc = make_services()
    client = await _client(svc, jwks=jwks(ec_key()))  # the RSA key is not the client's
    token = _token(client, svc, "RS256")
    assert (
        await _refused(svc, client, InvalidRequestObject, request=token)
        == "The request object's signature is invalid"
    )
    tampered = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    client = await _client(svc)
    assert (
        await _refused(svc, client, InvalidRequestObject, request=tampered)
        == "The request object's signature is invalid"
    )


async def test_alg_must_be_the_registered_one() -> None:
    svc = make_services()
    client = await _client(svc, request_object_signing_alg="ES256")
    description = await _refused(
        svc, client, InvalidRequestObject, request=_token(client, svc, "RS256")
    )
    assert description.startswith("The client registered request_object_signing_alg ES256")
    assert (await _validate(svc, client, request=_token(client, svc, "ES256"))).state


async def test_alg_must_be_allowed_by_the_server() -> None:
    svc = make_services()
    double(svc.config, StaticConfig).update(requestObjectSigningAlgValuesSupported=["ES256"])
    client = await _client(svc)
    description = await _refused(
        svc, client, InvalidRequestObject, request=_token(client, svc, "PS256")
    )
    assert description.startswith("The request object's alg is not one of ['ES256']")


async def test_client_without_keys() -> None:
    svc = make_services()
    client = await add_client(svc)
    assert await _refused(svc, client, InvalidRequestObject, request=_token(client, svc)) == (
        "The client has no registered keys (jwks or jwks_uri) to verify request objects"
    )


async def test_replayed_jti() -> None:
    svc = make_services()
    client = await _client(svc)
    token = _token(client, svc)
    await _validate(svc, client, request=token)
    assert (
        await _refused(svc, client, InvalidRequestObject, request=token)
        == "The request object was already used (jti)"
    )
    # the same jti from another client is another object
    other = await _client(svc)
    claims = request_claims(other.client_id, svc.clock.now(), _inner(), jti="shared")
    mine = request_claims(client.client_id, svc.clock.now(), _inner(), jti="shared")
    await _validate(svc, client, request=sign(mine, rsa_key()))
    await _validate(svc, other, request=sign(claims, rsa_key()))


@pytest.mark.parametrize(
    "token",
    ["not-a-jwt", "a.b.c", "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"],
    ids=["garbage", "bad segments", "encrypted"],
)
async def test_malformed(token: str) -> None:
    svc = make_services()
    client = await _client(svc)
    await _refused(svc, client, InvalidRequestObject, request=token)


async def test_alg_none_refused_by_default() -> None:
    svc = make_services()
    client = await _client(svc, request_object_signing_alg="none")
    token = unsigned(request_claims(client.client_id, svc.clock.now(), _inner()))
    assert (
        await _refused(svc, client, InvalidRequestObject, request=token)
        == "Unsigned request objects (alg none) are not accepted"
    )


async def test_alg_none_when_allowed_and_registered() -> None:
    svc = make_services()
    double(svc.config, StaticConfig).update(requestObjectNoneAlgAllowed=True)
    client = await _client(svc, request_object_signing_alg="none")
    token = unsigned(request_claims(client.client_id, svc.clock.now(), _inner()))
    assert (await _validate(svc, client, request=token)).state == "from-object"
    # another client, which did not register none, still cannot
    other = await _client(svc)
    token = unsigned(request_claims(other.client_id, svc.clock.now(), _inner()))
    await _refused(svc, other, InvalidRequestObject, request=token)


@pytest.mark.parametrize("where", ["server", "client"])
async def test_signed_object_required(where: str) -> None:
    svc = make_services()
    if where == "server":
        double(svc.config, StaticConfig).update(requireSignedRequestObject=True)
    client = await _client(svc, require_signed_request_object=where == "client")
    plain = {**_inner(), "client_id": client.client_id}
    with pytest.raises(RedirectError) as caught:
        await authorize.validate(plain, svc)
    assert type(caught.value.cause) is InvalidRequest
    assert "signed request objects" in caught.value.cause.description
    assert (await _validate(svc, client, request=_token(client, svc))).state == "from-object"


async def test_switched_off() -> None:
    svc = make_services()
    double(svc.config, StaticConfig).update(
        requestParameterSupported=False, requestUriParameterSupported=False
    )
    client = await _client(svc)
    await _refused(svc, client, RequestNotSupported, request=_token(client, svc))
    await _refused(svc, client, RequestUriNotSupported, request_uri=URI)


async def test_request_and_request_uri_together() -> None:
    svc = make_services()
    client = await _client(svc)
    await _refused(svc, client, InvalidRequest, request=_token(client, svc), request_uri=URI)


@pytest.mark.parametrize(
    "uri",
    [
        "http://rp.example/request.jwt",
        "ftp://rp.example/r",
        "https://user:pw@rp.example/r",
        URI,  # not published: the fetch fails
    ],
    ids=["http", "ftp", "userinfo", "unreachable"],
)
async def test_unusable_request_uri(uri: str) -> None:
    svc = make_services()
    client = await _client(svc)
    await _refused(svc, client, InvalidRequestUri, request_uri=uri)


async def test_claims_inside_the_object() -> None:
    svc = make_services()
    client = await _client(svc)
    claims = {"id_token": {"email": {"essential": True}, "acr": {"values": ["urn:x"]}}}
    request = await _validate(
        svc, client, request=_token(client, svc, params=_inner(claims=claims))
    )
    assert request.claims is not None
    assert json.loads(request.claims) == claims
    assert request.acr_values == ("urn:x",)


async def test_par_with_a_request_object() -> None:
    svc = make_services()
    client = await _client(svc, require_signed_request_object=True)
    body = await par.push(
        {"client_id": client.client_id, "request": _token(client, svc)}, None, svc
    )
    request = await _validate(svc, client, request_uri=body["request_uri"])
    assert (request.state, request.scope) == ("from-object", ("openid", "email"))


async def test_par_refuses_a_bad_object_and_plain_parameters_when_signing_is_required() -> None:
    svc = make_services()
    client = await _client(svc, require_signed_request_object=True)
    with pytest.raises(InvalidRequestObject):
        await par.push(
            {"client_id": client.client_id, "request": _token(client, svc, exp=1)}, None, svc
        )
    with pytest.raises(InvalidRequest) as caught:
        await par.push({"client_id": client.client_id, **_inner()}, None, svc)
    assert "signed request objects" in caught.value.description


@pytest.mark.parametrize(
    ("member", "value", "description"),
    [
        ("state", {"nested": [1]}, None),
        ("ui_locales", ["en", 3], "The request object's member ui_locales has an unusable type"),
        ("state", "a\x00b", "The request object's state has a control character"),
        ("x" * 100, [1], "The request object's member " + "x" * 64 + "... has an unusable type"),
    ],
    ids=["object", "mixed array", "control character", "long name"],
)
async def test_member_values(member: str, value: Any, description: str | None) -> None:
    """Objects become JSON parameters; anything else that is not text is refused, naming
    the member (escaped and cut short), never echoing its value."""
    svc = make_services()
    client = await _client(svc)
    token = _token(client, svc, params=_inner(**{member: value}))
    if description is None:
        request = await _validate(svc, client, request=token)
        assert request.state == '{"nested":[1]}'
        return
    assert await _refused(svc, client, InvalidRequestObject, request=token) == description


async def test_numbers_and_string_arrays_become_parameters() -> None:
    svc = make_services()
    client = await _client(svc)
    token = _token(client, svc, params=_inner(max_age=120, acr_values=["urn:a", "urn:b"]))
    request = await _validate(svc, client, request=token)
    assert (request.max_age, request.acr_values) == (120, ("urn:a", "urn:b"))
