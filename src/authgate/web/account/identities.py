"""The account page's "Linked identities": the user's links to upstream identity providers
(docs/federation.md), each removable with the page's CSRF token after a recent sign-in."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.core.account.client import ACCOUNT_PATH
from authgate.core.federation import flow
from authgate.core.ports import Services
from authgate.errors import InvalidRequest
from authgate.web.account.guard import checked_form, require_account_user, see_other
from authgate.web.context import services
from authgate.web.source import source

UNLINK_PATH = "/account/identities/unlink"


@dataclass(frozen=True, slots=True)
class IdentityRow:
    alias: str
    provider: str
    subject: str
    email: str
    linked_at: float
    last_used_at: float | None


async def linked(svc: Services, user_id: str) -> list[IdentityRow]:
    """The user's links, newest first, with each provider's display name."""
    if svc.federation is None:
        return []
    store = svc.federation.store
    labels = {p.alias: p.label for p in await store.providers()}
    return [
        IdentityRow(
            i.alias, labels.get(i.alias, i.alias), i.subject, i.email or "", i.linked_at,
            i.last_used_at,
        )
        for i in await store.identities(user_id=user_id)
    ]  # fmt: skip


async def unlink(request: Request) -> Response:
    """Remove one of the user's own links (``alias`` and ``subject``)."""
    user = await require_account_user(request, recent=True)
    if isinstance(user, Response):
        return user
    params = await checked_form(request, user)
    alias, subject = params.get("alias", ""), params.get("subject", "")
    if not alias or not subject:
        raise InvalidRequest("Say which linked identity to remove (alias and subject)")
    svc = services(request)
    if not await flow.unlink_own(svc, user.user_id, alias, subject, source=source(request)):
        raise InvalidRequest("No such linked identity of yours")
    return see_other(ACCOUNT_PATH)


def routes() -> list[Route]:
    return [Route(UNLINK_PATH, unlink, methods=["POST"])]
