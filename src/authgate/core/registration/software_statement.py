"""Software statements (RFC 7591 §2.3): signed client metadata from an issuer the
administrator trusts (``softwareStatementTrustedIssuers``).

A registration request (or an RFC 7592 update) may carry ``software_statement``, a JWT (compact
JWS) whose claims are client metadata. It is accepted when:

* it is a compact JWS signed with RS256, PS256 or ES256 and its payload is a JSON object;
* its ``iss`` is one of the trusted issuers (otherwise ``unapproved_software_statement``:
  well formed, but not approved here, RFC 7591 §3.2.2);
* its signature verifies with that issuer's keys (the key named by ``kid`` when there is one);
* ``exp``, ``nbf`` and ``iat``, when present, are numbers and hold at the time of the request,
  with :data:`LEEWAY` seconds of clock skew.

Anything else is ``invalid_software_statement``, as is a request without a statement while
``softwareStatementRequired`` is on. The statement's claims then take precedence over the
request's members (§2.3); the JWT's own claims (``iss``, ``exp``, ...) are not metadata. When a
statement is used, ``software_id`` and ``software_version`` come from it alone, so a recorded
``software_id`` is always one an issuer vouched for. The statement itself is kept with the
client and returned unmodified in responses (§3.2.1). An RFC 7592 update that presents the
very statement the client registered with is not refused for the time that passed since
(its signature and issuer are checked again).

Error descriptions never echo the statement or its claims.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authgate.appconfig import AppConfiguration
from authgate.appconfig_registration import SOFTWARE_STATEMENT_ALGS
from authgate.core.params import check_json
from authgate.crypto import client_keys
from authgate.errors import InvalidSoftwareStatement, UnapprovedSoftwareStatement

MEMBER = "software_statement"
#: Seconds of clock skew allowed on ``exp``, ``nbf`` and ``iat``.
LEEWAY = 60
#: Claims of the JWT itself, never taken as client metadata (RFC 7519 §4.1), and members a
#: statement may not set because the server assigns them.
NOT_METADATA = frozenset(
    {
        "iss", "sub", "aud", "exp", "nbf", "iat", "jti",
        "client_id", "client_secret", "registration_access_token", MEMBER,
    }
)  # fmt: skip
#: Request members that only a statement may set when one is presented.
VOUCHED = ("software_id", "software_version")


def _number(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidSoftwareStatement(f"The software statement's {name} claim is not a number")
    return float(value)


def _check_times(claims: Mapping[str, Any], now: float) -> None:
    exp = _number(claims, "exp")
    if exp is not None and exp <= now - LEEWAY:
        raise InvalidSoftwareStatement("The software statement has expired")
    nbf = _number(claims, "nbf")
    if nbf is not None and nbf > now + LEEWAY:
        raise InvalidSoftwareStatement("The software statement is not valid yet")
    iat = _number(claims, "iat")
    if iat is not None and iat > now + LEEWAY:
        raise InvalidSoftwareStatement("The software statement was issued in the future")


def verified_claims(
    statement: Any, config: AppConfiguration, now: float, *, check_times: bool = True
) -> dict[str, Any]:
    """The claims of a statement from a trusted issuer, once every check passed.

    Args:
        check_times: False for the statement a client already registered with.

    Raises:
        InvalidSoftwareStatement: not a usable statement (see the module docstring).
        UnapprovedSoftwareStatement: well formed, but from an issuer not trusted here.
    """
    if not isinstance(statement, str) or not statement:
        raise InvalidSoftwareStatement("software_statement must be a JWT (a non-empty string)")
    try:
        header, claims = client_keys.peek(statement)
    except client_keys.UnusableKeys:
        raise InvalidSoftwareStatement(
            "The software statement is not a signed JWT (compact JWS) with a JSON object payload"
        ) from None
    alg = header.get("alg")
    if alg not in SOFTWARE_STATEMENT_ALGS:
        raise InvalidSoftwareStatement(
            f"The software statement must be signed with one of {list(SOFTWARE_STATEMENT_ALGS)}"
        )
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise InvalidSoftwareStatement("The software statement has no iss claim (RFC 7591 §2.3)")
    trusted = next((t for t in config.softwareStatementTrustedIssuers if t.issuer == issuer), None)
    if trusted is None:
        raise UnapprovedSoftwareStatement(
            "The software statement's issuer is not approved on this server"
        )
    kid = header.get("kid")
    try:
        keys = client_keys.import_public_jwks(trusted.jwks)
    except client_keys.UnusableKeys:  # validated when configured; refuse rather than fail
        keys = []
    if not client_keys.verify(statement, keys, alg, kid if isinstance(kid, str) else None):
        raise InvalidSoftwareStatement(
            "The software statement's signature does not verify with its issuer's keys"
        )
    if check_times:
        _check_times(claims, now)
    check_json(claims, error=InvalidSoftwareStatement)
    return claims


def apply(body: Any, config: AppConfiguration, now: float, *, registered: str | None = None) -> Any:
    """The request body with a presented statement's claims over its members, and the
    statement kept under ``software_statement``; the body unchanged when it has none.

    Args:
        registered: The statement the client registered with (RFC 7592 updates).

    Raises:
        InvalidSoftwareStatement, UnapprovedSoftwareStatement: see :func:`verified_claims`;
            also a missing statement while ``softwareStatementRequired`` is on.
    """
    if not isinstance(body, dict):
        return body  # the request parser refuses it
    statement = body.get(MEMBER)
    if statement is None:
        if config.softwareStatementRequired:
            raise InvalidSoftwareStatement(
                "This server registers only clients that present a software statement "
                "(RFC 7591 §2.3) from an issuer it trusts"
            )
        return body
    claims = verified_claims(
        statement, config, now, check_times=registered is None or statement != registered
    )
    merged = {k: v for k, v in body.items() if k not in VOUCHED}
    merged |= {k: v for k, v in claims.items() if k not in NOT_METADATA}
    merged[MEMBER] = statement
    return merged
