"""The pages of the second-factor methods: the web half of the plug-in point of
:mod:`authgate.core.mfa.methods`.

Each method the sign-in offers has a :class:`FactorPage` here, under the same kind: the
template fragment that asks for the answer (included in ``factor.html`` inside a form that
posts ``ix``, ``csrf`` and ``method`` to the factor page; the fragment adds its own fields
and submit button), the link text that offers it, and optionally a function that adds to the
fragment's context (a method that issues a challenge makes it there). The posted form goes
to the method's ``verify`` as it is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from authgate.core.mfa.methods import FactorContext, SecondFactorKind
from authgate.core.ports import Services
from authgate.web.i18n import N_, gettext

Context = Callable[[Request, FactorContext, Services], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class FactorPage:
    kind: SecondFactorKind
    #: What the link offering this method says (a message id: the page translates it).
    label: str
    #: The template fragment asking for the answer.
    template: str
    context: Context | None = None


PAGES: dict[SecondFactorKind, FactorPage] = {}


def register(factor_page: FactorPage) -> None:
    """Give a method its page (replacing the page of the same kind)."""
    PAGES[factor_page.kind] = factor_page


async def _passkey_context(
    request: Request, context: FactorContext, svc: Services
) -> dict[str, Any]:
    """The passkey fragment names the user; its script fetches the options (with the
    challenge) from the passkey options endpoint, bound to this interaction."""
    user = await svc.users.get(context.user_id)
    return {"passkey": True, "username": user.username if user else ""}


register(FactorPage(SecondFactorKind.TOTP, N_("Use your authenticator app"), "factor_totp.html"))
register(
    FactorPage(
        SecondFactorKind.WEBAUTHN, N_("Use a passkey"), "factor_webauthn.html", _passkey_context
    )
)
register(FactorPage(SecondFactorKind.RECOVERY, N_("Use a recovery code"), "factor_recovery.html"))


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as inline SVG, rendered here (no image service sees the seed).

    segno is imported by the first enrolment, not at start: its tables take about 40 ms to
    load, which every server start would pay."""
    import segno

    code = segno.make(uri, error="m")
    return str(code.svg_inline(scale=4, title=gettext("QR code for your authenticator app")))
