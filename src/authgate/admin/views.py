"""Core values to Config API JSON, through the response models of :mod:`authgate.admin.schemas`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from authgate.admin.factor_service import UserFactors
from authgate.admin.initial_token_service import IssuedToken
from authgate.admin.lockout_service import LockoutView
from authgate.admin.ops_service import KeyView, Rotation
from authgate.admin.schemas import (
    AuditOut,
    ClearedOut,
    ClientOut,
    FactorOut,
    GrantOut,
    InitialTokenOut,
    IssuedInitialTokenOut,
    KeyOut,
    LockoutOut,
    PasskeyOut,
    RotationOut,
    ScopeOut,
    SecurityEventOut,
    SessionOut,
    SuccessorOut,
    UserFactorsOut,
    UserOut,
    UserSessionOut,
)
from authgate.admin_records import AuditRecord, SessionView
from authgate.core.federation.model import split_amr
from authgate.core.passkeys.credential import PasskeyCredential
from authgate.core.types import (
    Approval,
    Client,
    InitialAccessToken,
    LoginSession,
    Scope,
    SecurityEvent,
    User,
)

#: Labels the one response that carries an initial access token's value.
SHOWN_ONCE = (
    "initial_access_token is shown once: authgate keeps only its hash, so keep the value now"
)


def client_json(client: Client, client_secret: str | None = None) -> dict[str, Any]:
    out = ClientOut(
        client_id=client.client_id,
        client_id_issued_at=client.client_id_issued_at,
        client_secret_expires_at=client.client_secret_expires_at,
        expires_at=client.expires_at,
        disabled=client.disabled,
        has_secret=client.secret_hash is not None,
        client_secret=client_secret,
        **client.metadata.to_json(),
    )
    body = out.model_dump(mode="json")
    if client_secret is None:
        del body["client_secret"]
    return body


def scope_json(scope: Scope) -> dict[str, Any]:
    return ScopeOut(
        scope_id=scope.scope_id,
        description=scope.description,
        claims=list(scope.claims),
        registrable=scope.registrable,
    ).model_dump(mode="json")


def user_json(user: User) -> dict[str, Any]:
    return UserOut(
        user_id=user.user_id,
        username=user.username,
        email=user.email,
        email_verified=user.email_verified,
        name=user.name,
        given_name=user.given_name,
        family_name=user.family_name,
        enabled=user.enabled,
        created_at=user.created_at,
    ).model_dump(mode="json")


def key_json(key: KeyView) -> dict[str, Any]:
    return KeyOut(
        kid=key.kid,
        alg=key.alg,
        created_at=key.created_at,
        signs_from=key.signs_from,
        expires_at=key.expires_at,
        status=key.status,
        jwk=key.jwk,
    ).model_dump(mode="json")


def rotation_json(rotation: Rotation) -> dict[str, Any]:
    keys = [
        SuccessorOut(
            alg=s.alg,
            kid=s.kid,
            signs_from=s.signs_from,
            retiring=list(s.retiring),
            retire_at=s.retire_at,
        )
        for s in rotation.keys
    ]
    return RotationOut(keys=keys, removed=list(rotation.removed)).model_dump(mode="json")


def _no_idp(amr: Sequence[str]) -> set[str]:
    """``idp`` appears only for a federated sign-in (the stored ``amr`` names the provider)."""
    return set() if split_amr(list(amr))[1] else {"idp"}


def session_json(session: SessionView) -> dict[str, Any]:
    return SessionOut(
        sid=session.sid,
        user_id=session.user_id,
        username=session.username,
        auth_time=session.auth_time,
        expires_at=session.expires_at,
        acr=session.acr,
        amr=split_amr(list(session.amr))[0],
        idp=split_amr(list(session.amr))[1],
    ).model_dump(mode="json", exclude=_no_idp(session.amr))


def audit_json(record: AuditRecord) -> dict[str, Any]:
    e = record.entry
    return AuditOut(
        entry_id=record.entry_id,
        at=e.at,
        actor=e.actor,
        action=e.action,
        target_type=e.target_type,
        target_id=e.target_id,
        before=e.before,
        after=e.after,
    ).model_dump(mode="json")


def event_json(event: SecurityEvent) -> dict[str, Any]:
    return SecurityEventOut(
        at=event.at,
        kind=event.kind,
        source=event.source,
        client_id=event.client_id,
        user_id=event.user_id,
        detail=event.detail,
    ).model_dump(mode="json")


def _token_state(token: InitialAccessToken, now: float) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if now >= token.expires_at:
        return "expired"
    return "used_up" if token.uses >= token.max_uses else "active"


def _token_members(token: InitialAccessToken, now: float) -> dict[str, Any]:
    return {
        "token_id": token.token_id,
        "description": token.description,
        "created_by": token.created_by,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "max_uses": token.max_uses,
        "uses": token.uses,
        "revoked_at": token.revoked_at,
        "state": _token_state(token, now),
    }


def initial_token_json(token: InitialAccessToken, now: float) -> dict[str, Any]:
    """A token as listed: never its value or hash."""
    return InitialTokenOut(**_token_members(token, now)).model_dump(mode="json")


def issued_token_json(issued: IssuedToken, now: float) -> dict[str, Any]:
    """A token just issued, with its value (the only time it is shown)."""
    members = _token_members(issued.token, now)
    out = IssuedInitialTokenOut(**members, initial_access_token=issued.value, notice=SHOWN_ONCE)
    return out.model_dump(mode="json")


def lockout_json(view: LockoutView) -> dict[str, Any]:
    return LockoutOut(
        id=view.id,
        family=view.family,
        subject=view.subject,
        source=view.source,
        username=view.username,
        client_id=view.client_id,
        failures=view.failures,
        first_failure_at=view.first_failure_at,
        last_failure_at=view.last_failure_at,
        state=view.state,
        blocked_until=view.blocked_until,
    ).model_dump(mode="json")


def cleared_json(count: int) -> dict[str, Any]:
    return ClearedOut(cleared=count).model_dump(mode="json")


def grant_json(grant: Approval) -> dict[str, Any]:
    return GrantOut(
        client_id=grant.client_id,
        client_name=grant.client_name,
        scope=list(grant.scope),
        granted_at=grant.granted_at,
    ).model_dump(mode="json")


def user_session_json(session: LoginSession) -> dict[str, Any]:
    """A user's session without its handle's hash."""
    return UserSessionOut(
        sid=session.sid,
        auth_time=session.auth_time,
        expires_at=session.expires_at,
        last_used_at=session.last_used_at,
        acr=session.acr,
        amr=split_amr(list(session.amr))[0],
        idp=split_amr(list(session.amr))[1],
        user_agent=session.user_agent,
    ).model_dump(mode="json", exclude=_no_idp(session.amr))


def passkey_out(passkey: PasskeyCredential) -> PasskeyOut:
    """A passkey without key material."""
    return PasskeyOut(
        credential_id=passkey.credential_id,
        name=passkey.name,
        created_at=passkey.created_at,
        last_used_at=passkey.last_used_at,
        sign_count=passkey.sign_count,
        transports=list(passkey.transports),
        backup_eligible=passkey.backup_eligible,
        backup_state=passkey.backup_state,
        aaguid=passkey.aaguid,
    )


def passkey_json(passkey: PasskeyCredential) -> dict[str, Any]:
    return passkey_out(passkey).model_dump(mode="json")


def user_factors_json(found: UserFactors) -> dict[str, Any]:
    """A user's factors, passkeys and how many recovery codes are left (no secret)."""
    return UserFactorsOut(
        user_id=found.user_id,
        username=found.username,
        factors=[
            FactorOut(
                factor_id=f.factor_id,
                kind=f.kind,
                label=f.label,
                created_at=f.created_at,
                confirmed=f.confirmed,
                last_used_at=f.last_used_at,
            )
            for f in found.factors
        ],
        passkeys=[passkey_out(p) for p in found.passkeys],
        recovery_codes_left=found.recovery_codes_left,
    ).model_dump(mode="json")
