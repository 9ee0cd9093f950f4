"""Which origins may read which endpoint's responses: the CORS policy, from the configuration.

Two kinds of CORS endpoint (everything else, the authorization endpoint above all, never
answers CORS: RFC 9700 §2.6):

* **public** (discovery, JWKS, registration): public data or open registration; any origin,
  answered as ``*`` and never with credentials.
* **client-bound** (token, userinfo, PAR, revocation, introspection): the origins of the
  client the request is for (its redirect URIs' origins and ``authorized_origins``), plus
  ``corsAllowedOrigins``. ``*`` there means any origin, again never with credentials.
  An error answer (status 400 and above) is also readable by any origin that *some* client
  registered (:meth:`CorsPolicy.allow_error`): the request may name no client, an unknown
  one, or a token that is gone, and the page must still read why. Which client the request
  named plays no part in that rule, so the presence or absence of CORS headers on an error
  never tells an origin whether a client exists.

A preflight names no client, so it is answered for any origin the policy could allow; the
browser still refuses to hand the actual response to a page whose origin that response does
not name. The policy is compiled once per configuration revision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from authgate.appconfig_security import CorsConfigurationFilter, split_list
from authgate.core import endpoints
from authgate.core.origins import parse_origin

#: Response headers every CORS answer exposes to scripts, whatever ``corsExposedHeaders`` adds:
#: a page must read a resource's challenge (RFC 6750 §3) and the next DPoP nonce (RFC 9449 §8).
ALWAYS_EXPOSED = ("WWW-Authenticate", "DPoP-Nonce")


class CorsKind(StrEnum):
    PUBLIC = "public"
    CLIENT = "client"


#: Every endpoint that may answer CORS, by kind. Only those the application routes are used.
CORS_ENDPOINTS: dict[str, CorsKind] = {
    endpoints.TOKEN: CorsKind.CLIENT,
    endpoints.USERINFO: CorsKind.CLIENT,
    endpoints.PAR: CorsKind.CLIENT,
    endpoints.REVOKE: CorsKind.CLIENT,
    endpoints.INTROSPECTION: CorsKind.CLIENT,
    endpoints.JWKS: CorsKind.PUBLIC,
    endpoints.REGISTER: CorsKind.PUBLIC,
    **dict.fromkeys(endpoints.DISCOVERY_PATHS, CorsKind.PUBLIC),
}


@dataclass(frozen=True, slots=True)
class Allowance:
    """What to answer: the ``Access-Control-Allow-Origin`` value and whether credentials."""

    origin: str
    credentials: bool = False


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    """The enabled ``corsConfigurationFilters`` combined (the union of what they allow)."""

    enabled: bool = False
    any_origin: bool = False
    origins: frozenset[str] = frozenset()
    client_origins: bool = False
    methods: frozenset[str] = frozenset()
    headers: frozenset[str] = frozenset()
    exposed: str = ""
    credentials: bool = False
    max_age: int = 0
    log: bool = False

    @classmethod
    def from_filters(cls, filters: Sequence[CorsConfigurationFilter]) -> CorsPolicy:
        on = [f for f in filters if f.corsEnabled]
        if not on:
            return cls()
        listed = [item for f in on for item in split_list(f.corsAllowedOrigins)]
        configured = [h for f in on for h in split_list(f.corsExposedHeaders)]
        exposed = {h.lower(): h for h in ALWAYS_EXPOSED}  # first spelling of each name
        for header in configured:
            exposed.setdefault(header.lower(), header)
        return cls(
            enabled=True,
            any_origin="*" in listed,
            origins=frozenset(o for o in map(parse_origin, listed) if o is not None),
            client_origins=any(f.corsAllowClientOrigins for f in on),
            methods=frozenset(m.upper() for f in on for m in split_list(f.corsAllowedMethods)),
            headers=frozenset(h.lower() for f in on for h in split_list(f.corsAllowedHeaders)),
            exposed=", ".join(exposed.values()),
            credentials=any(f.corsSupportCredentials for f in on),
            max_age=min(f.corsPreflightMaxAge for f in on),
            log=any(f.corsLoggingEnabled for f in on),
        )

    def allow(
        self, origin: str, kind: CorsKind, client_origins: frozenset[str]
    ) -> Allowance | None:
        """The answer to an actual request from ``origin`` for a client with those origins."""
        if not self.enabled:
            return None
        if kind is CorsKind.PUBLIC:
            return Allowance("*")
        if origin in self.origins or (self.client_origins and origin in client_origins):
            return Allowance(origin, self.credentials)
        if self.any_origin:
            return Allowance("*")
        return None

    def allow_error(self, origin: str, registered: bool) -> Allowance | None:
        """The answer to an error that :meth:`allow` refused, for an origin some client
        registered (``registered``) or not. Never with credentials."""
        if self.enabled and self.client_origins and registered:
            return Allowance(origin)
        return None

    def allow_preflight(
        self, origin: str, kind: CorsKind, method: str, headers: Sequence[str]
    ) -> Allowance | None:
        """The answer to a preflight (no client known yet; see the module docstring)."""
        if not self.enabled or method.upper() not in self.methods:
            return None
        if any(h.lower() not in self.headers for h in headers):
            return None
        if kind is CorsKind.PUBLIC:
            return Allowance("*")
        if origin in self.origins:
            return Allowance(origin, self.credentials)
        if self.client_origins:
            return Allowance(origin)
        if self.any_origin:
            return Allowance("*")
        return None
