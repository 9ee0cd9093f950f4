"""Software statements (RFC 7591 §2.3) on memory services: a trusted statement's claims win
over the request's members and its software_id is recorded; invalid, untrusted, expired or
missing-when-required statements are refused with RFC 7591 §3.2.2's codes."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey
from pydantic import ValidationError

from authgate.appconfig import AppConfiguration
from authgate.core.ports import Services
from authgate.core.registration import management
from authgate.core.registration.endpoint import client_response, register
from authgate.errors import InvalidSoftwareStatement, UnapprovedSoftwareStatement
from tests.memory import StaticConfig, advance, make_services
from tests.software_statements import StatementIssuer, reheaded, unsigned
from tests.support import ISSUER, REDIRECT_URI, flow_registration_body

RP = "https://rp.example.test/cb"


@pytest.fixture(scope="module")
def issuer() -> StatementIssuer:
    return StatementIssuer()


def services(*trusted: StatementIssuer, required: bool = False) -> Services:
    config = AppConfiguration(
        softwareStatementTrustedIssuers=[t.trusted() for t in trusted],
        softwareStatementRequired=required,
    )
    return make_services(config=StaticConfig(config))


def body(statement: Any, **members: Any) -> dict[str, Any]:
    return flow_registration_body() | {"software_statement": statement} | members


async def test_the_statements_claims_take_precedence(issuer: StatementIssuer) -> None:
    svc = services(issuer)
    statement = issuer.sign(
        svc.clock.now(),
        {"software_id": "4NRB1-0XZABZI9E6", "software_version": "2.1", "client_name": "Signed",
         "redirect_uris": [RP], "client_uri": "https://rp.example.test/"},
    )  # fmt: skip
    request = body(statement, client_name="Mine", software_id="self-made", software_version="9")
    registered = await register(request, svc)
    m = registered.client.metadata
    assert (m.client_name, m.redirect_uris, m.client_uri) == (
        "Signed", (RP,), "https://rp.example.test/"
    )  # fmt: skip
    assert (m.software_id, m.software_version) == ("4NRB1-0XZABZI9E6", "2.1")
    assert m.scope == ("email", "openid", "profile")  # from the request: not in the statement
    response = client_response(registered.client, ISSUER)
    assert response["software_statement"] == statement  # returned unmodified (§3.2.1)
    assert response["software_id"] == "4NRB1-0XZABZI9E6"
    assert "iss" not in response and "exp" not in response


async def test_with_a_statement_software_id_comes_from_it_alone(issuer: StatementIssuer) -> None:
    svc = services(issuer)
    statement = issuer.sign(svc.clock.now(), {"client_name": "No software id"})
    registered = await register(body(statement, software_id="claimed-by-the-client"), svc)
    assert registered.client.metadata.software_id is None


async def test_without_a_statement_the_request_stands(issuer: StatementIssuer) -> None:
    svc = services(issuer)
    registered = await register(flow_registration_body() | {"software_id": "self"}, svc)
    assert registered.client.metadata.software_id == "self"
    assert registered.client.metadata.software_statement is None


async def test_an_rsa_issuer_signs_with_ps256_or_rs256() -> None:
    rsa = StatementIssuer("https://rsa.example.test", rsa=True, kid="r1")
    svc = services(rsa)
    for alg in ("PS256", "RS256"):
        statement = rsa.sign(svc.clock.now(), {"software_id": alg}, alg=alg)
        assert (await register(body(statement), svc)).client.metadata.software_id == alg


async def test_a_statement_from_an_unknown_issuer_is_unapproved(issuer: StatementIssuer) -> None:
    other = StatementIssuer("https://other.example.test")
    svc = services(issuer)
    with pytest.raises(UnapprovedSoftwareStatement, match="not approved"):
        await register(body(other.sign(svc.clock.now())), svc)
    with pytest.raises(UnapprovedSoftwareStatement):
        await register(body(issuer.sign(svc.clock.now())), services())  # nobody trusted


def _forged(issuer: StatementIssuer, now: float) -> str:
    """Claims in the trusted issuer's name, signed with another key of the same kid."""
    impostor = StatementIssuer(issuer.issuer, kid=issuer.key.kid or "")
    return impostor.sign(now)


def _hs256(issuer: StatementIssuer, now: float) -> str:
    secret = OctKey.import_key("s" * 32)
    return jwt.encode({"alg": "HS256"}, {"iss": issuer.issuer, "iat": int(now)}, secret)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda i, now: "not a jwt", "not a signed JWT"),
        (lambda i, now: 12345, "must be a JWT"),
        (lambda i, now: {"iss": i.issuer}, "must be a JWT"),
        (lambda i, now: "", "must be a JWT"),
        (lambda i, now: unsigned({"iss": i.issuer}), "must be signed with one of"),
        (_hs256, "must be signed with one of"),
        (_forged, "does not verify"),
        (lambda i, now: reheaded(i.sign(now), alg="ES384"), "must be signed with one of"),
        (lambda i, now: reheaded(i.sign(now), alg="PS256"), "does not verify"),  # EC key
        (lambda i, now: i.sign(now, {"iss": None}), "no iss claim"),
        (lambda i, now: i.sign(now, {"exp": int(now) - 61}), "expired"),
        (lambda i, now: i.sign(now, {"nbf": int(now) + 61}), "not valid yet"),
        (lambda i, now: i.sign(now, {"iat": int(now) + 61}), "issued in the future"),
        (lambda i, now: i.sign(now, {"exp": "tomorrow"}), "exp claim is not a number"),
        (lambda i, now: i.sign(now, {"client_name": "a\x00b"}), "control character"),
    ],
    ids=["garbage", "number", "object", "empty", "alg-none", "hs256", "forged", "es384",
         "alg-mismatch", "no-iss", "expired", "not-yet", "future-iat", "exp-text", "nul"],
)  # fmt: skip
async def test_invalid_statements_are_refused(
    issuer: StatementIssuer, make: Any, message: str
) -> None:
    svc = services(issuer)
    with pytest.raises(InvalidSoftwareStatement, match=message) as refused:
        await register(body(make(issuer, svc.clock.now())), svc)
    assert refused.value.error == "invalid_software_statement"


async def test_clock_skew_within_a_minute_is_accepted(issuer: StatementIssuer) -> None:
    svc = services(issuer)
    now = svc.clock.now()
    skewed = issuer.sign(now, {"exp": int(now) - 59, "nbf": int(now) + 59, "iat": int(now) + 59})
    assert (await register(body(skewed), svc)).client.metadata.software_statement == skewed


async def test_a_required_statement_must_be_there(issuer: StatementIssuer) -> None:
    svc = services(issuer, required=True)
    with pytest.raises(InvalidSoftwareStatement, match="only clients that present"):
        await register(flow_registration_body(), svc)
    with pytest.raises(InvalidSoftwareStatement):
        await register(body(None), svc)
    registered = await register(body(issuer.sign(svc.clock.now())), svc)
    assert registered.client.metadata.software_statement is not None


async def test_updates_keep_the_registered_statement_even_when_it_expired(
    issuer: StatementIssuer,
) -> None:
    svc = services(issuer, required=True)
    statement = issuer.sign(svc.clock.now(), {"software_id": "app", "redirect_uris": [RP]})
    registered = await register(body(statement), svc)
    token = registered.registration_access_token
    advance(svc, 7200)  # the statement expired an hour ago
    client = await management.configured_client(registered.client.client_id, token, svc)
    with pytest.raises(InvalidSoftwareStatement, match="only clients that present"):
        await management.update(client, flow_registration_body(), svc)
    echoed = body(statement, client_name="Renamed", redirect_uris=[REDIRECT_URI])
    updated = await management.update(client, echoed, svc)
    assert updated.client.metadata.client_name == "Renamed"
    assert updated.client.metadata.redirect_uris == (RP,)  # the statement still wins
    stale = issuer.sign(svc.clock.now() - 7200, {"software_id": "other"})
    client = await management.configured_client(
        client.client_id, updated.registration_access_token, svc
    )
    with pytest.raises(InvalidSoftwareStatement, match="expired"):
        await management.update(client, body(stale), svc)


def test_trusted_issuers_must_publish_public_signing_keys(issuer: StatementIssuer) -> None:
    private = {"issuer": "https://x.test", "jwks": {"keys": [issuer.key.as_dict(private=True)]}}
    with pytest.raises(ValidationError, match="public keys only"):
        AppConfiguration(softwareStatementTrustedIssuers=[private])
    empty = {"issuer": "https://x.test", "jwks": {"keys": []}}
    with pytest.raises(ValidationError, match="no RSA or EC signing key"):
        AppConfiguration(softwareStatementTrustedIssuers=[empty])
    twice = [issuer.trusted(), issuer.trusted()]
    with pytest.raises(ValidationError, match="more than once"):
        AppConfiguration(softwareStatementTrustedIssuers=twice)
