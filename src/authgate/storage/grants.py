"""Authorization codes and tokens (implements ``core.ports.GrantStore``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import String, bindparam, exists, insert, select, update

from authgate.core.types import AuthorizationCode, TokenRecord
from authgate.storage.engine import Database, IntegrityViolation, Row, Step
from authgate.storage.models import AUTHORIZATION_CODES, SESSION_CLIENTS, TOKENS
from authgate.storage.one_statement import after_insert, guarded_inserts, suffixed

_codes = AUTHORIZATION_CODES
_tokens = TOKENS
_participants = SESSION_CLIENTS

INSERT_CODE = insert(_codes).values({c.name: bindparam(c.name) for c in _codes.columns})
GET_CODE = select(_codes).where(_codes.c.code_hash == bindparam("code_hash"))
CONSUME_CODE = (
    update(_codes)
    .where(_codes.c.code_hash == bindparam("code_hash"), _codes.c.consumed_at.is_(None))
    .values(consumed_at=bindparam("now"))
)
INSERT_TOKEN = insert(_tokens).values({c.name: bindparam(c.name) for c in _tokens.columns})
GET_TOKEN = select(_tokens).where(_tokens.c.token_hash == bindparam("token_hash"))
REVOKE_GRANT = (
    update(_tokens)
    .where(_tokens.c.grant_id == bindparam("grant_id"), _tokens.c.revoked_at.is_(None))
    .values(revoked_at=bindparam("now"))
)
USE_REFRESH = (
    update(_tokens)
    .where(
        _tokens.c.token_hash == bindparam("token_hash"),
        _tokens.c.used_at.is_(None),
        _tokens.c.revoked_at.is_(None),
    )
    .values(used_at=bindparam("now"), successor=bindparam("successor"))
)
EXTEND_REFRESH = (
    update(_tokens)
    .where(
        _tokens.c.token_hash == bindparam("token_hash"),
        _tokens.c.used_at.is_(None),
        _tokens.c.revoked_at.is_(None),
        _tokens.c.expires_at > bindparam("now"),
    )
    .values(expires_at=bindparam("expires_at"))
)
REVOKE_TOKEN = (
    update(_tokens)
    .where(_tokens.c.token_hash == bindparam("token_hash"), _tokens.c.revoked_at.is_(None))
    .values(revoked_at=bindparam("now"))
)
# A client joins the session it was issued a code in; written with the code, once per pair.
JOIN_SESSION = insert(_participants).from_select(
    ["sid", "client_id"],
    select(bindparam("sid", type_=String), bindparam("client_id", type_=String)).where(
        ~exists().where(
            _participants.c.sid == bindparam("sid"),
            _participants.c.client_id == bindparam("client_id"),
        )
    ),
)
SESSION_PARTICIPANTS = select(_participants.c.client_id).where(
    _participants.c.sid == bindparam("sid")
)
SESSION_TOKEN_CLIENTS = (
    select(_tokens.c.client_id).where(_tokens.c.sid == bindparam("sid")).distinct()
)
# Uses the index on tokens.client_id; called on authorization error paths only.
USER_TOKEN = (
    select(_tokens.c.token_hash)
    .where(_tokens.c.client_id == bindparam("client_id"), _tokens.c.user_id.is_not(None))
    .limit(1)
)
SESSION_GRANTS = (
    select(_tokens.c.grant_id, _tokens.c.scope)
    .where(_tokens.c.sid == bindparam("sid"), _tokens.c.revoked_at.is_(None))
    .distinct()
)
# Touches nothing; matches one row only while the refresh token is unused and unrevoked.


def _token_params(t: TokenRecord) -> dict[str, Any]:
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
        "jkt": t.jkt,
        "grant_expires_at": t.grant_expires_at,
        "successor": t.successor,
        "audience": _joined(t.audience),
        "act": orjson.dumps(dict(t.act)).decode() if t.act is not None else None,
        "claims": t.claims,
        "authorization_details": t.authorization_details,
    }


def _joined(values: Sequence[str]) -> str | None:
    return " ".join(values) if values else None


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(value.split()) if value else ()


def _token(row: Row) -> TokenRecord:
    return TokenRecord(
        token_hash=row["token_hash"],
        kind=row["kind"],
        grant_id=row["grant_id"],
        client_id=row["client_id"],
        user_id=row["user_id"],
        scope=tuple(row["scope"].split()),
        issued_at=row["issued_at"],
        expires_at=row["expires_at"],
        auth_time=row["auth_time"],
        sid=row["sid"],
        acr=row["acr"],
        amr=tuple(row["amr"].split()),
        used_at=row["used_at"],
        revoked_at=row["revoked_at"],
        jkt=row["jkt"],
        grant_expires_at=row["grant_expires_at"],
        successor=row["successor"],
        audience=_split(row["audience"]),
        act=orjson.loads(row["act"]) if row["act"] else None,
        claims=row["claims"],
        authorization_details=row["authorization_details"],
    )


def _insert_tokens(tokens: Sequence[TokenRecord]) -> list[Step]:
    return [Step(INSERT_TOKEN, [_token_params(t) for t in tokens])] if tokens else []


def _guarded(db: Database, guard: Step, tokens: Sequence[TokenRecord]) -> list[Step]:
    """``guard`` (``expect=1``), then ``tokens`` only if it applied: one statement on
    PostgreSQL (:mod:`authgate.storage.one_statement`), plain steps elsewhere."""
    if db.dialect_name != "postgresql" or not tokens:
        return [guard, *_insert_tokens(tokens)]
    assert isinstance(guard.params, dict)
    statement = guarded_inserts(guard.statement, _tokens, len(tokens))
    params = guard.params | suffixed([_token_params(t) for t in tokens])
    return [Step(statement, params, expect=1, whole=True, counted=True)]


#: Codes this process issued and has not been asked for yet (:meth:`SqlGrantStore.get_code`).
RECENT_CODES = 4096


class SqlGrantStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._recent: dict[str, AuthorizationCode] = {}

    def _remember(self, code: AuthorizationCode) -> None:
        recent = self._recent
        if len(recent) >= RECENT_CODES:  # codes never redeemed: the oldest goes
            del recent[next(iter(recent))]
        # stored unconsumed, whatever the record said (INSERT_CODE)
        recent[code.code_hash] = dataclasses.replace(code, consumed_at=None)

    async def add_code(self, code: AuthorizationCode, tokens: Sequence[TokenRecord] = ()) -> None:
        params = {
            "code_hash": code.code_hash,
            "grant_id": code.grant_id,
            "client_id": code.client_id,
            "user_id": code.user_id,
            "redirect_uri": code.redirect_uri,
            "redirect_uri_given": code.redirect_uri_given,
            "scope": " ".join(code.scope),
            "issued_at": code.issued_at,
            "expires_at": code.expires_at,
            "auth_time": code.auth_time,
            "sid": code.sid,
            "acr": code.acr,
            "amr": " ".join(code.amr),
            "nonce": code.nonce,
            "code_challenge": code.code_challenge,
            "code_challenge_method": code.code_challenge_method,
            "consumed_at": None,
            "dpop_jkt": code.dpop_jkt,
            "resource": _joined(code.resource),
            "claims": code.claims,
            "authorization_details": code.authorization_details,
        }
        steps = [Step(INSERT_CODE, params), *_insert_tokens(tokens)]
        join = {"sid": code.sid, "client_id": code.client_id}
        if self._db.dialect_name == "postgresql" and not tokens:
            # the code and the session's client in one statement (storage/one_statement.py)
            whole = [Step(after_insert(INSERT_CODE, JOIN_SESSION), params, counted=True)]
        else:
            whole = [*steps, Step(JOIN_SESSION, join)]
        try:
            await self._db.transact(whole)
        except IntegrityViolation:
            # a concurrent code for the same session and client recorded the pair first
            await self._db.transact(steps)
        self._remember(code)

    async def add_tokens(self, tokens: Sequence[TokenRecord]) -> None:
        if not tokens:
            return
        joins = sorted({(t.sid, t.client_id) for t in tokens if t.sid})
        steps = _insert_tokens(tokens)
        try:
            await self._db.transact(
                steps + [Step(JOIN_SESSION, {"sid": s, "client_id": c}) for s, c in joins]
            )
        except IntegrityViolation:
            await self._db.transact(steps)

    async def get_code(self, code_hash: str) -> AuthorizationCode | None:
        """The code stored under ``code_hash``.

        A code this process issued is answered once from the copy kept when its unit
        committed, which saves the token request a read (the client usually redeems it on
        the connection it was issued on). Only ``consumed_at`` of a stored code ever
        changes, and the copy, unconsumed, may be stale there: the redemption's guarded
        update (:meth:`redeem_code`) decides whether the code was still unused, and the
        grant's checks ask again when the copy fails them
        (:mod:`authgate.core.tokens.grants.authorization_code`).
        """
        remembered = self._recent.pop(code_hash, None)
        if remembered is not None:
            return remembered
        row = await self._db.fetch_one(GET_CODE, {"code_hash": code_hash})
        if row is None:
            return None
        return AuthorizationCode(
            code_hash=row["code_hash"],
            grant_id=row["grant_id"],
            client_id=row["client_id"],
            user_id=row["user_id"],
            redirect_uri=row["redirect_uri"],
            redirect_uri_given=bool(row["redirect_uri_given"]),
            scope=tuple(row["scope"].split()),
            issued_at=row["issued_at"],
            expires_at=row["expires_at"],
            auth_time=row["auth_time"],
            sid=row["sid"],
            acr=row["acr"],
            amr=tuple(row["amr"].split()),
            nonce=row["nonce"],
            code_challenge=row["code_challenge"],
            code_challenge_method=row["code_challenge_method"],
            consumed_at=row["consumed_at"],
            dpop_jkt=row["dpop_jkt"],
            resource=_split(row["resource"]),
            claims=row["claims"],
            authorization_details=row["authorization_details"],
        )

    async def redeem_code(self, code_hash: str, now: float, tokens: Sequence[TokenRecord]) -> bool:
        self._recent.pop(code_hash, None)  # from now on the stored code is the answer
        guard = Step(CONSUME_CODE, {"code_hash": code_hash, "now": now}, expect=1)
        return (await self._db.transact(_guarded(self._db, guard, tokens))).applied

    async def revoke_grant(self, grant_id: str, now: float) -> int:
        outcome = await self._db.transact([Step(REVOKE_GRANT, {"grant_id": grant_id, "now": now})])
        return outcome.rowcounts[0]

    async def get_token(self, token_hash: str) -> TokenRecord | None:
        row = await self._db.fetch_one(GET_TOKEN, {"token_hash": token_hash})
        return _token(row) if row else None

    async def rotate_refresh_token(
        self,
        token_hash: str,
        now: float,
        tokens: Sequence[TokenRecord],
        successor: str | None = None,
    ) -> bool:
        params = {"token_hash": token_hash, "now": now, "successor": successor}
        guard = Step(USE_REFRESH, params, expect=1)
        return (await self._db.transact(_guarded(self._db, guard, tokens))).applied

    async def extend_refresh_token(
        self, token_hash: str, now: float, expires_at: float, tokens: Sequence[TokenRecord]
    ) -> bool:
        params = {"token_hash": token_hash, "now": now, "expires_at": expires_at}
        guard = Step(EXTEND_REFRESH, params, expect=1)
        return (await self._db.transact(_guarded(self._db, guard, tokens))).applied

    async def revoke_token(self, token_hash: str, now: float) -> bool:
        step = Step(REVOKE_TOKEN, {"token_hash": token_hash, "now": now}, expect=1)
        return (await self._db.transact([step])).applied

    async def session_clients(self, sid: str) -> frozenset[str]:
        joined = await self._db.fetch_all(SESSION_PARTICIPANTS, {"sid": sid})
        tokens = await self._db.fetch_all(SESSION_TOKEN_CLIENTS, {"sid": sid})
        return frozenset(r["client_id"] for r in [*joined, *tokens])

    async def has_user_tokens(self, client_id: str) -> bool:
        return await self._db.fetch_one(USER_TOKEN, {"client_id": client_id}) is not None

    async def revoke_session(self, sid: str, now: float, keep_scope: str) -> int:
        rows = await self._db.fetch_all(SESSION_GRANTS, {"sid": sid})
        kept = {r["grant_id"] for r in rows if keep_scope in r["scope"].split()}
        grants = sorted({r["grant_id"] for r in rows} - kept)
        if not grants:
            return 0
        params = [{"grant_id": g, "now": now} for g in grants]
        await self._db.transact([Step(REVOKE_GRANT, params)])
        return len(grants)
