"""Authorization codes and tokens (implements ``core.ports.GrantStore``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from authgate.core.types import AuthorizationCode, TokenRecord
from authgate.storage.models import AuthorizationCodeRow, TokenRow, table_of

_codes = table_of(AuthorizationCodeRow)
_tokens = table_of(TokenRow)


def _token_row(t: TokenRecord) -> dict[str, Any]:
    return {
        "token_hash": t.token_hash,
        "kind": t.kind,
        "grant_id": t.grant_id,
        "client_id": t.client_id,
        "user_id": t.user_id,
        "scope": " ".join(t.scope),
        "issued_at": t.issued_at,
        "expires_at": t.expires_at,
        "auth_time": t.auth_time,
        "sid": t.sid,
        "acr": t.acr,
        "amr": " ".join(t.amr),
        "used_at": t.used_at,
        "revoked_at": t.revoked_at,
    }


def _token(row: Any) -> TokenRecord:
    return TokenRecord(
        token_hash=row.token_hash,
        kind=row.kind,
        grant_id=row.grant_id,
        client_id=row.client_id,
        user_id=row.user_id,
        scope=tuple(row.scope.split()),
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        auth_time=row.auth_time,
        sid=row.sid,
        acr=row.acr,
        amr=tuple(row.amr.split()),
        used_at=row.used_at,
        revoked_at=row.revoked_at,
    )


class SqlGrantStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add_code(self, code: AuthorizationCode) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(_codes).values(
                    code_hash=code.code_hash,
                    grant_id=code.grant_id,
                    client_id=code.client_id,
                    user_id=code.user_id,
                    redirect_uri=code.redirect_uri,
                    redirect_uri_given=code.redirect_uri_given,
                    scope=" ".join(code.scope),
                    issued_at=code.issued_at,
                    expires_at=code.expires_at,
                    auth_time=code.auth_time,
                    sid=code.sid,
                    acr=code.acr,
                    amr=" ".join(code.amr),
                    nonce=code.nonce,
                    code_challenge=code.code_challenge,
                    code_challenge_method=code.code_challenge_method,
                    consumed_at=None,
                )
            )

    async def get_code(self, code_hash: str) -> AuthorizationCode | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(_codes).where(_codes.c.code_hash == code_hash))
            ).first()
        if row is None:
            return None
        return AuthorizationCode(
            code_hash=row.code_hash,
            grant_id=row.grant_id,
            client_id=row.client_id,
            user_id=row.user_id,
            redirect_uri=row.redirect_uri,
            redirect_uri_given=row.redirect_uri_given,
            scope=tuple(row.scope.split()),
            issued_at=row.issued_at,
            expires_at=row.expires_at,
            auth_time=row.auth_time,
            sid=row.sid,
            acr=row.acr,
            amr=tuple(row.amr.split()),
            nonce=row.nonce,
            code_challenge=row.code_challenge,
            code_challenge_method=row.code_challenge_method,
            consumed_at=row.consumed_at,
        )

    async def redeem_code(self, code_hash: str, now: float, tokens: Sequence[TokenRecord]) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(_codes)
                .where(_codes.c.code_hash == code_hash, _codes.c.consumed_at.is_(None))
                .values(consumed_at=now)
            )
            if result.rowcount != 1:
                return False
            if tokens:
                await conn.execute(insert(_tokens), [_token_row(t) for t in tokens])
        return True

    async def revoke_grant(self, grant_id: str, now: float) -> int:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(_tokens)
                .where(_tokens.c.grant_id == grant_id, _tokens.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        return int(result.rowcount)

    async def get_token(self, token_hash: str) -> TokenRecord | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(_tokens).where(_tokens.c.token_hash == token_hash))
            ).first()
        return _token(row) if row else None

    async def add_tokens(self, tokens: Sequence[TokenRecord]) -> None:
        if not tokens:
            return
        async with self._engine.begin() as conn:
            await conn.execute(insert(_tokens), [_token_row(t) for t in tokens])

    async def rotate_refresh_token(
        self, token_hash: str, now: float, tokens: Sequence[TokenRecord]
    ) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(_tokens)
                .where(
                    _tokens.c.token_hash == token_hash,
                    _tokens.c.used_at.is_(None),
                    _tokens.c.revoked_at.is_(None),
                )
                .values(used_at=now)
            )
            if result.rowcount != 1:
                return False
            if tokens:
                await conn.execute(insert(_tokens), [_token_row(t) for t in tokens])
        return True
