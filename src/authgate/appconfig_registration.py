"""Who may register a client dynamically, and with what (docs/security.md, "Registration
policy"): the registration policy, the hosts registered URIs may point to, and the issuers
whose software statements (RFC 7591 §2.3) the server trusts.

:class:`RegistrationPolicyProperties` is a base of :class:`authgate.appconfig.AppConfiguration`;
it exists only to keep each module small, so these properties are ordinary members of the one
configuration document. ``dynamicRegistrationEnabled`` (Janssen's switch) stays in
:mod:`authgate.appconfig`: registration is accepted only while it is on *and* the policy is not
``closed``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from authgate.crypto import client_keys

RegistrationPolicy = Literal["open", "initial_access_token", "closed"]
#: JWS algorithms a software statement may be signed with.
SOFTWARE_STATEMENT_ALGS = ("RS256", "PS256", "ES256")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_NAME = re.compile(rf"^(?:\*\.)?{_LABEL}(?:\.{_LABEL})*$")


def host_pattern(entry: str) -> str:
    """One ``dynamicRegistrationTrustedHosts`` entry, lower-cased: a host name, an IP address
    (IPv6 without brackets), or ``*.`` and a domain (its subdomains, at any depth).

    Raises:
        ValueError: anything else (a URL, a port, a bare ``*``, a wildcard inside a name).
    """
    value = entry.strip().lower()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    if len(value) > 253 or not _HOST_NAME.fullmatch(value):
        raise ValueError(
            f"{entry!r} is not a host name, an IP address or '*.' followed by a domain "
            "(no scheme, port or path)"
        )
    return value


class TrustedSoftwareIssuer(BaseModel):
    """An issuer of software statements (RFC 7591 §2.3) and the keys it signs them with."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: str = Field(
        min_length=1,
        max_length=255,
        description="The `iss` claim of the statements this entry vouches for, compared exactly.",
    )
    jwks: dict[str, Any] = Field(
        description="JWK Set (RFC 7517 §5) of the issuer's public signing keys: RSA keys "
        "(RS256, PS256) or EC P-256 keys (ES256); private or symmetric keys are refused.",
    )

    @field_validator("jwks")
    @classmethod
    def _public_signing_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            client_keys.import_public_jwks(value)
        except client_keys.UnusableKeys as exc:
            raise ValueError(str(exc)) from None
        return value


class RegistrationPolicyProperties(BaseModel):
    """The registration policy members of the configuration document (see docs/security.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    dynamicRegistrationPolicy: RegistrationPolicy = Field(
        "open",
        description="Who may register at /jans-auth/restv1/register (RFC 7591 §3). `open`: "
        "anyone (the flow document registers without credentials); `initial_access_token`: "
        "only a request with `Authorization: Bearer <initial access token>`, a token issued "
        "by an administrator (`authgate clients initial-tokens create`); `closed`: nobody "
        "(403 access_denied, as with dynamicRegistrationEnabled off). Clients already "
        "registered keep managing their registration (RFC 7592). authgate extension.",
    )
    dynamicRegistrationTrustedHosts: list[str] = Field(
        default_factory=list,
        description="Hosts that the URIs of a dynamically registered client (redirect_uris, "
        "post_logout_redirect_uris, front- and back-channel logout URIs, jwks_uri, "
        "sector_identifier_uri) must be on, at registration and on RFC 7592 updates: a host "
        "name, an IP address, or `*.example.com` for every subdomain of example.com. Empty: "
        "any host. Clients created through the Config API are not restricted. authgate "
        "extension (Keycloak's trusted hosts).",
    )
    softwareStatementTrustedIssuers: list[TrustedSoftwareIssuer] = Field(
        default_factory=list,
        description="Issuers whose software statements (RFC 7591 §2.3, signed with RS256, "
        "PS256 or ES256) registration accepts; a statement's claims then take precedence over "
        "the request's members. Empty: every statement is refused "
        "(unapproved_software_statement). authgate extension.",
    )
    softwareStatementRequired: bool = Field(
        False,
        description="Refuse a registration, or an RFC 7592 update, that carries no software "
        "statement from a trusted issuer (invalid_software_statement). authgate extension.",
    )

    @field_validator("dynamicRegistrationTrustedHosts")
    @classmethod
    def _host_patterns(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(host_pattern(entry) for entry in value))

    @field_validator("softwareStatementTrustedIssuers")
    @classmethod
    def _one_entry_per_issuer(
        cls, value: list[TrustedSoftwareIssuer]
    ) -> list[TrustedSoftwareIssuer]:
        issuers = [entry.issuer for entry in value]
        repeated = sorted({i for i in issuers if issuers.count(i) > 1})
        if repeated:
            raise ValueError(f"issuer(s) {repeated} listed more than once")
        return value
