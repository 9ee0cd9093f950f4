"""Authorization codes and tokens (``core.ports.GrantStore``), as
:mod:`authgate.storage.grants` keeps them.

Every write checks its guard and the new keys first and only then changes anything, so a
call that returns False or raises IntegrityViolation has stored nothing (the SQL store's
transaction rolls back). Checks and writes run without an ``await`` in between (see
:mod:`tests.memory.stores.tables`), so of concurrent redemptions of one code, or rotations of
one refresh token, exactly one succeeds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import orjson

from authgate.core.types import AuthorizationCode, TokenRecord
from tests.memory.stores.tables import Tables, require_new, words


def _token(t: TokenRecord) -> TokenRecord:
    """The token as it reads back (scope, amr and audience are stored space-joined, act as
    JSON)."""
    return dataclasses.replace(
        t,
        scope=words(t.scope),
        amr=words(t.amr),
        audience=words(t.audience),
        act=orjson.loads(orjson.dumps(dict(t.act))) if t.act is not None else None,
    )


class MemoryGrantStore:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def _check_new(self, tokens: Sequence[TokenRecord]) -> None:
        require_new(self._t.tokens, [t.token_hash for t in tokens], "tokens")

    def _insert(self, tokens: Sequence[TokenRecord]) -> None:
        for t in tokens:
            self._t.tokens[t.token_hash] = _token(t)

    async def add_code(self, code: AuthorizationCode, tokens: Sequence[TokenRecord] = ()) -> None:
        """Raises IntegrityViolation (storing nothing) for a code or token hash already taken.

        The code is stored unconsumed whatever its ``consumed_at`` says, as in SQL.
        """
        require_new(self._t.codes, [code.code_hash], "authorization_codes")
        self._check_new(tokens)
        self._t.codes[code.code_hash] = dataclasses.replace(
            code,
            scope=words(code.scope),
            amr=words(code.amr),
            resource=words(code.resource),
            redirect_uri_given=bool(code.redirect_uri_given),
            consumed_at=None,
        )
        self._insert(tokens)
        self._t.session_clients.add((code.sid, code.client_id))

    async def add_tokens(self, tokens: Sequence[TokenRecord]) -> None:
        """Raises IntegrityViolation (storing nothing) for a token hash already taken."""
        self._check_new(tokens)
        self._insert(tokens)
        self._t.session_clients.update((t.sid, t.client_id) for t in tokens if t.sid)

    async def get_code(self, code_hash: str) -> AuthorizationCode | None:
        return self._t.codes.get(code_hash)

    async def redeem_code(self, code_hash: str, now: float, tokens: Sequence[TokenRecord]) -> bool:
        """False for an unknown or consumed code. Expiry is not checked here (the grant
        checks it before calling), as in SQL."""
        code = self._t.codes.get(code_hash)
        if code is None or code.consumed_at is not None:
            return False
        self._check_new(tokens)
        self._t.codes[code_hash] = dataclasses.replace(code, consumed_at=now)
        self._insert(tokens)
        return True

    async def revoke_grant(self, grant_id: str, now: float) -> int:
        """Revokes the grant's tokens not yet revoked; returns how many that was."""
        return self._revoke_grant(grant_id, now)

    def _revoke_grant(self, grant_id: str, now: float) -> int:
        live = [
            t for t in self._t.tokens.values() if t.grant_id == grant_id and t.revoked_at is None
        ]
        for t in live:
            self._t.tokens[t.token_hash] = dataclasses.replace(t, revoked_at=now)
        return len(live)

    async def get_token(self, token_hash: str) -> TokenRecord | None:
        return self._t.tokens.get(token_hash)

    async def rotate_refresh_token(
        self,
        token_hash: str,
        now: float,
        tokens: Sequence[TokenRecord],
        successor: str | None = None,
    ) -> bool:
        """False for an unknown, used or revoked token. Neither kind nor expiry is checked
        here (the grant does), as in SQL."""
        token = self._t.tokens.get(token_hash)
        if token is None or token.used_at is not None or token.revoked_at is not None:
            return False
        self._check_new(tokens)
        self._t.tokens[token_hash] = dataclasses.replace(token, used_at=now, successor=successor)
        self._insert(tokens)
        return True

    async def extend_refresh_token(
        self, token_hash: str, now: float, expires_at: float, tokens: Sequence[TokenRecord]
    ) -> bool:
        """False for an unknown, used, revoked or expired (``expires_at <= now``) token."""
        token = self._t.tokens.get(token_hash)
        if (
            token is None
            or token.used_at is not None
            or token.revoked_at is not None
            or token.expires_at <= now
        ):
            return False
        self._check_new(tokens)
        self._t.tokens[token_hash] = dataclasses.replace(token, expires_at=expires_at)
        self._insert(tokens)
        return True

    async def revoke_token(self, token_hash: str, now: float) -> bool:
        token = self._t.tokens.get(token_hash)
        if token is None or token.revoked_at is not None:
            return False
        self._t.tokens[token_hash] = dataclasses.replace(token, revoked_at=now)
        return True

    async def session_clients(self, sid: str) -> frozenset[str]:
        """Clients issued a code in ``sid``, and clients holding a token of ``sid``
        (revoked ones included)."""
        joined = {c for s, c in self._t.session_clients if s == sid}
        holding = {t.client_id for t in self._t.tokens.values() if t.sid == sid}
        return frozenset(joined | holding)

    async def has_user_tokens(self, client_id: str) -> bool:
        """Whether a token of ``client_id`` with a user is stored (revoked ones included)."""
        return any(
            t.client_id == client_id and t.user_id is not None for t in self._t.tokens.values()
        )

    async def revoke_session(self, sid: str, now: float, keep_scope: str) -> int:
        """Revoke every grant with a live token of ``sid``, except grants of which a live
        token of ``sid`` carries ``keep_scope``. Revoking a grant revokes all its tokens,
        also those without a ``sid``. Returns how many grants were revoked."""
        live = [t for t in self._t.tokens.values() if t.sid == sid and t.revoked_at is None]
        kept = {t.grant_id for t in live if keep_scope in t.scope}
        grants = sorted({t.grant_id for t in live} - kept)
        for grant_id in grants:
            self._revoke_grant(grant_id, now)
        return len(grants)
