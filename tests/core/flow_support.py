"""Shortcuts for the core flow tests: a code issued the way the authorization endpoint issues
it once ``decide`` approves, token request forms, and client credentials headers.

Everything runs on :func:`tests.memory.make_services`: no HTTP, no database.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from authgate.core.authorize import request as authorize
from authgate.core.authorize.response import issue
from authgate.core.ports import Services
from authgate.core.tokens.endpoint import token
from authgate.core.types import Client, LoginSession, User
from tests.memory import add_client, add_session, add_user
from tests.support import REDIRECT_URI, authorize_params, new_verifier, s256

#: The grants of a code client that may refresh.
CODE_AND_REFRESH = ["authorization_code", "refresh_token"]
SECRET = "s3cret-of-the-confidential-client"


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """A code as the client received it, with what it needs to redeem it."""

    code: str
    verifier: str | None
    params: dict[str, str]
    client: Client
    user: User
    session: LoginSession


async def issue_code(
    svc: Services,
    client: Client,
    user: User | None = None,
    *,
    method: str | None = "S256",
    verifier: str | None = None,
    send_redirect_uri: bool = True,
    **extra: str,
) -> IssuedCode:
    """Validate an authorization request and issue its code for a logged-in ``user`` (a
    new one by default): what the authorization endpoint does when ``decide`` says Approved.

    ``method`` None sends no PKCE challenge; ``plain`` sends the verifier as the challenge.
    ``send_redirect_uri`` False leaves the parameter out (the one registered URI is used).
    """
    user = user or await add_user(svc, f"user-{uuid.uuid4().hex[:12]}")
    session, _cookie = await add_session(svc, user)
    challenge = None
    if method is not None:
        verifier = verifier or new_verifier(64)
        challenge = s256(verifier) if method == "S256" else verifier
    params = authorize_params(client.client_id, challenge, method, **extra)
    if not send_redirect_uri:
        del params["redirect_uri"]
    request, loaded = await authorize.validate(params, svc)
    issued = await issue(request, session, loaded, svc)
    return IssuedCode(issued.params["code"], verifier, params, client, user, session)


def code_form(issued: IssuedCode, **changes: str | None) -> dict[str, str]:
    """The token request for ``issued`` (public client: ``client_id`` names it); a change
    to None drops that parameter."""
    form: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "client_id": issued.client.client_id,
        "code": issued.code,
        "redirect_uri": issued.params.get("redirect_uri", REDIRECT_URI),
        "code_verifier": issued.verifier,
    }
    form |= changes
    return {k: v for k, v in form.items() if v is not None}


def basic(client_id: str, secret: str) -> str:
    """An ``Authorization: Basic`` value, form-urlencoded as RFC 6749 §2.3.1 says."""
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode()


async def refreshing_client(svc: Services, *, secret: str | None = None, **metadata: Any) -> Client:
    """A code client that also has the refresh_token grant (public unless ``secret``)."""
    metadata.setdefault("grant_types", CODE_AND_REFRESH)
    return await add_client(svc, secret=secret, **metadata)


async def code_tokens(
    svc: Services, issued: IssuedCode, secret: str | None = None
) -> dict[str, Any]:
    """Redeem ``issued`` at the token endpoint's core; ``secret`` authenticates with Basic."""
    header = basic(issued.client.client_id, secret) if secret is not None else None
    return await token(code_form(issued), header, svc)
