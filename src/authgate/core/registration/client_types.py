"""Which grant and response types a registered client gets (RFC 7591 §2.1,
docs/janssen-compatibility.md §3.3).

Janssen's "autofix" completes grant types from response types and back; the result is then
cut down to what the server has enabled, so a client never holds a type that cannot work
(``implicit`` disappears entirely while ``implicitFlowEnabled`` is off).
"""

from __future__ import annotations

from authgate.appconfig import AppConfiguration
from authgate.core import profile
from authgate.core.authorize.response_types import IMPLICIT_GRANT, implicit_enabled, supported

KNOWN_GRANT_TYPES = frozenset(
    {"authorization_code", "implicit", "refresh_token", "client_credentials", "password"}
)
KNOWN_RESPONSE_TYPES = frozenset({"code", "token", "id_token"})


def resolve_types(
    grant_types: list[str], response_types: list[str], config: AppConfiguration
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Grant and response types after autofix and server policy
    (docs/janssen-compatibility.md §3.3)."""
    responses = {p for r in response_types for p in r.split() if p in KNOWN_RESPONSE_TYPES}
    grants = {g for g in grant_types if g in KNOWN_GRANT_TYPES}
    if not responses:
        responses = {"code"}
    if not grants:
        grants = {"authorization_code"}
    if config.grantTypesAndResponseTypesAutofixEnabled:
        if config.clientRegDefaultToCodeFlowWithRefresh:
            if "authorization_code" in grants:
                responses.add("code")
            if "code" in responses:
                grants.update({"authorization_code", "refresh_token"})
        if responses & {"token", "id_token"}:
            grants.add("implicit")
        if "implicit" in grants:
            responses.add("token")
    responses &= {p for r in supported(config) for p in r.split()}
    grants &= set(config.grantTypesSupported) & set(config.grantTypesSupportedByDynamicRegistration)
    grants = {g for g in grants if profile.grant_type_allowed(g, config)}
    if not implicit_enabled(config):
        grants.discard(IMPLICIT_GRANT)
    grant_order = ("implicit", "refresh_token", "authorization_code", "client_credentials")
    response_order = ("code", "token", "id_token")
    return (
        tuple(g for g in grant_order if g in grants) + tuple(sorted(grants - set(grant_order))),
        tuple(r for r in response_order if r in responses),
    )
