"""The device cookie (OWASP, "Slow down online guessing attacks with device cookies").

A successful login gives the browser a token signed by the server for that user. An attempt
to log in as that user from a browser that presents one is counted under the device instead
of the address: failures made elsewhere (an attacker's) neither slow it down nor lock it out,
and a stolen cookie still meets the usual waits on its own counter.

A token is ``<issued, hex>.<device id>.<mac>``, the MAC an HMAC over the user id, issue time
and device id under a key derived from the configuration's secret, so every instance accepts
it and nothing is stored. It names no user: it is checked against the account being logged
into. The cookie holds the tokens of the last :data:`MAX_TOKENS` users of the browser.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from authgate.core.ports import Services
from authgate.core.protection.attempts import device_secret

#: Tokens one cookie keeps (users sharing a browser).
MAX_TOKENS = 4
#: Longer strings are not tokens (a real one has about 50 characters).
_TOKEN_MAX = 80
_SEPARATOR = "~"


def _mac(svc: Services, user_id: str, issued: str, device: str) -> str:
    message = f"{user_id}|{issued}|{device}".encode("utf-8", "surrogatepass")
    digest = hmac.new(device_secret(svc.config.current), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode("ascii")


def _tokens(cookie: str | None) -> list[str]:
    parts = (cookie or "").split(_SEPARATOR)
    return [t for t in parts if t.count(".") == 2 and len(t) <= _TOKEN_MAX][:MAX_TOKENS]


def _device_of(token: str, user_id: str, svc: Services) -> str | None:
    """The device id of ``token`` if it is a live token for ``user_id``."""
    issued, device, mac = token.split(".")
    try:
        at = int(issued, 16)
    except ValueError:
        return None
    p = svc.config.current.authenticationProtectionConfiguration
    if at + p.deviceCookieLifetime <= svc.clock.now():
        return None
    expected = _mac(svc, user_id, issued, device)
    return (
        device if hmac.compare_digest(expected.encode(), mac.encode("utf-8", "replace")) else None
    )


def trusted(cookie: str | None, user_id: str, svc: Services) -> str | None:
    """The id of this browser for ``user_id``, if its cookie holds a live token for that user."""
    if not svc.config.current.authenticationProtectionConfiguration.deviceCookieEnabled:
        return None
    for token in _tokens(cookie):
        device = _device_of(token, user_id, svc)
        if device is not None:
            return device
    return None


def remember(cookie: str | None, user_id: str, svc: Services) -> str | None:
    """The cookie value after ``user_id`` logged in from this browser (None: cookies off).

    The user's token is renewed (same device id) and put first; tokens of other users are
    kept, up to :data:`MAX_TOKENS` in all.
    """
    if not svc.config.current.authenticationProtectionConfiguration.deviceCookieEnabled:
        return None
    device = None
    others = []
    for token in _tokens(cookie):
        mine = _device_of(token, user_id, svc)
        if mine is not None:
            device = device or mine
        else:
            others.append(token)
    device = device or secrets.token_urlsafe(12)
    issued = format(int(svc.clock.now()), "x")
    token = f"{issued}.{device}.{_mac(svc, user_id, issued, device)}"
    return _SEPARATOR.join([token, *others][:MAX_TOKENS])
