"""Back-channel logout notifications (OIDC Back-Channel Logout 1.0 §2.4, §2.5).

When a login session ends, every client that was issued a code or token in it and that
registered a ``backchannel_logout_uri`` gets a Logout Token: a JWT signed with the server's
key, header ``typ: logout+jwt``, claims ``iss``, ``aud`` (the client), ``iat``, ``exp``,
``jti``, ``sub`` (the subject that client knows, pairwise or public), ``sid`` and the
back-channel logout ``events`` member, and never a ``nonce`` (§2.4).
"""

from __future__ import annotations

import uuid
from typing import Any

from authgate.core.ports import Services
from authgate.core.tokens.subject import subject
from authgate.core.types import Client, LoginSession, LogoutNotice

EVENT = "http://schemas.openid.net/event/backchannel-logout"
TYP = "logout+jwt"
#: Lifetime of a Logout Token; the spec recommends at most two minutes.
LIFETIME = 120


def logout_claims(client: Client, session: LoginSession, svc: Services, now: int) -> dict[str, Any]:
    """The claims of the Logout Token for one client (§2.4)."""
    return {
        "iss": svc.issuer,
        "aud": client.client_id,
        "iat": now,
        "exp": now + LIFETIME,
        "jti": str(uuid.uuid4()),
        "sub": subject(session.user_id, client, svc.config.current),
        "sid": session.sid,
        "events": {EVENT: {}},
    }


async def notices(session: LoginSession, svc: Services) -> list[LogoutNotice]:
    """A signed Logout Token per live participating client with a back-channel logout URI."""
    now = svc.clock.now()
    out: list[LogoutNotice] = []
    for client_id in sorted(await svc.grants.session_clients(session.sid)):
        client = await svc.clients.get(client_id)
        if client is None or client.disabled or client.expired(now):
            continue
        uris = client.metadata.backchannel_logout_uri
        if not uris:
            continue
        token = svc.keys.sign(logout_claims(client, session, svc, int(now)), typ=TYP)
        out.extend(LogoutNotice(client_id, uri, token) for uri in uris)
    return out
