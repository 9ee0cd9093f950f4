"""Token response shaping: expires_in counts the seconds left, as Janssen does (299 for 300)."""

from __future__ import annotations

from typing import Any

from authgate.core.tokens.mint import MintedTokens, response


class _Svc:
    def __init__(self, now: float) -> None:
        self.clock = self
        self._now = now

    def now(self) -> float:
        return self._now


def _body(issued: float, now: float, lifetime: int = 300) -> dict[str, Any]:
    minted = MintedTokens(access_token="at", access_expires_at=issued + lifetime)
    return response(minted, _Svc(now), id_token=None, scope=None)  # type: ignore[arg-type]


def test_expires_in_is_seconds_remaining() -> None:
    assert _body(1000.0, 1000.0)["expires_in"] == 300
    assert _body(1000.0, 1000.004)["expires_in"] == 299
    assert _body(1000.0, 1001.5)["expires_in"] == 298
    assert _body(1000.0, 2000.0)["expires_in"] == 0


def test_scope_only_when_given() -> None:
    assert "scope" not in _body(1.0, 1.0)
    minted = MintedTokens(access_token="at", access_expires_at=301.0)
    body = response(minted, _Svc(1.0), id_token=None, scope=("openid",))  # type: ignore[arg-type]
    assert body["scope"] == "openid"
    assert body["token_type"] == "Bearer"
