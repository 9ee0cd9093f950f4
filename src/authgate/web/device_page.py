"""The device verification page, /jans-auth/device_authorization.htm (RFC 8628 §3.3).

* ``GET`` without parameters: a form to type the user code (it submits with ``GET``).
* ``GET ?user_code=...`` (typed, or from ``verification_uri_complete``): the code is looked
  up (:func:`authgate.core.device.verification.start`); a live one opens an interaction and
  sends the browser to the login page, or straight to the approval when it is signed in.
* ``GET ?ix=...``: the approval: the client's name and the scopes it asks for, with Approve
  and Deny buttons in a form that carries the interaction's CSRF token.
* ``POST``: the answer (``ix``, ``csrf``, ``decision``), recorded once.

Nothing is approved by merely following a link: the user always presses Approve (RFC 8628
§5.4). Pages carry ``frame-ancestors 'none'`` (:data:`authgate.web.responses.PAGE_HEADERS`).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from authgate.core.authorize import interaction as flow
from authgate.core.authorize.error_redirect import live_state
from authgate.core.device import verification
from authgate.core.device.verification import DeviceCodeUnusable
from authgate.core.ports import Services
from authgate.core.types import Interaction, LoginSession
from authgate.errors import UserCodeRejected
from authgate.web import cookies
from authgate.web.context import form, query, services
from authgate.web.endpoints.authorize import interaction_redirect, session_hash
from authgate.web.pages import page
from authgate.web.source import source


def _entry(user_code: str = "", error: str | None = None, status_code: int = 200,
           retry_after: int | None = None) -> Response:  # fmt: skip
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return page(
        "device.html",
        status_code=status_code,
        headers=headers,
        step="entry",
        user_code=user_code,
        error=error,
    )


async def _session(request: Request, svc: Services, client_id: str) -> LoginSession | None:
    hashed = session_hash(request)
    state = None if hashed is None else await live_state(hashed, client_id, svc)
    return state.session if state is not None and state.user_enabled else None


async def _client_name(ix: Interaction, svc: Services) -> str:
    client = await svc.clients.get(ix.request.client_id)
    return (client.metadata.client_name if client else "") or ix.request.client_id


async def device_page(request: Request) -> Response:
    svc = services(request)
    params = query(request)
    if "ix" in params:
        return await _approval(request, params["ix"], svc)
    typed = params.get("user_code", "").strip()
    if not typed:
        return _entry()
    try:
        device = await verification.find(typed, svc, source=source(request))
    except UserCodeRejected as exc:
        return _entry(typed, str(exc), 429 if exc.retry_after else 400, exc.retry_after)
    except DeviceCodeUnusable as exc:
        return _entry("", str(exc), 400)
    session = await _session(request, svc, device.client_id)
    browser = cookies.read(request, cookies.BROWSER_COOKIE)
    started = await verification.start(device, session, browser, svc)
    return interaction_redirect(
        request, started.interaction.interaction_id, started.next, started.browser_secret, svc,
        status_code=303,
    )  # fmt: skip


async def _approval(request: Request, ix_id: str, svc: Services) -> Response:
    ix = await flow.load(ix_id, cookies.read(request, cookies.BROWSER_COOKIE), svc)
    try:
        device = await verification.pending(ix, svc)
    except DeviceCodeUnusable as exc:
        return _entry("", str(exc), 400)
    session = await flow.session_of(ix, svc)
    user = await svc.users.get(session.user_id)
    known = {s.scope_id: s for s in await svc.scopes.all()}
    scopes = [(s, known[s].description if s in known else s) for s in device.scope]
    return page(
        "device.html",
        step="approve",
        ix=ix.interaction_id,
        csrf=ix.csrf_token,
        client_name=await _client_name(ix, svc),
        username=user.username if user else "",
        scopes=scopes,
    )


async def device_answer(request: Request) -> Response:
    svc = services(request)
    params = await form(request)
    ix = await flow.load(params.get("ix"), cookies.read(request, cookies.BROWSER_COOKIE), svc)
    flow.check_csrf(ix, params.get("csrf"))
    session = await flow.session_of(ix, svc)
    approved = params.get("decision") == "approve"
    try:
        await verification.answer(ix, session, approved, svc, source=source(request))
    except DeviceCodeUnusable as exc:
        return _entry("", str(exc), 400)
    return page(
        "device.html",
        step="done",
        approved=approved,
        client_name=await _client_name(ix, svc),
    )
