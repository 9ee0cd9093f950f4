"""The two ways the CLI reaches the use cases: the database directly, or a remote Config API.

:class:`LocalBackend` wraps :class:`~authgate.admin.service.AdminService` (over a runtime
started on this host by :mod:`authgate.cli_backends`); :class:`~authgate.admin.client.AdminClient`
is the remote one. Both answer with the Config API's JSON shapes, so the CLI prints the same
thing either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from authgate.admin.config_patch import describe
from authgate.admin.context import Actor
from authgate.admin.federation_schemas import ProviderIn, ProviderUpdate
from authgate.admin.federation_views import identity_json, provider_json
from authgate.admin.lockout_service import LockoutSelector
from authgate.admin.schemas import (
    ClientIn,
    FactorsResetOut,
    GrantRevokedOut,
    GrantsRevokedOut,
    InitialTokenIn,
    PasswordIn,
    SessionsEndedOut,
    UserIn,
    UserUpdate,
)
from authgate.admin.service import AdminService
from authgate.admin.views import (
    cleared_json,
    client_json,
    event_json,
    grant_json,
    initial_token_json,
    issued_token_json,
    key_json,
    lockout_json,
    passkey_json,
    rotation_json,
    scope_json,
    user_factors_json,
    user_json,
    user_session_json,
)
from authgate.appconfig import AppConfiguration
from authgate.errors import InvalidRequest

M = TypeVar("M", bound=BaseModel)


class AdminBackend(Protocol):
    async def get_config(self) -> dict[str, Any]: ...
    async def set_properties(self, changes: Mapping[str, Any]) -> dict[str, Any]: ...
    async def config_schema(self) -> dict[str, Any]: ...
    async def list_clients(self, pattern: str | None = None) -> list[dict[str, Any]]: ...
    async def get_client(self, client_id: str) -> dict[str, Any]: ...
    async def create_client(self, body: dict[str, Any]) -> dict[str, Any]: ...
    async def update_client(self, client_id: str, body: dict[str, Any]) -> dict[str, Any]: ...
    async def delete_client(self, client_id: str) -> None: ...
    async def list_users(self, pattern: str | None = None) -> list[dict[str, Any]]: ...
    async def get_user(self, user_id: str) -> dict[str, Any]: ...
    async def create_user(self, body: dict[str, Any]) -> dict[str, Any]: ...
    async def update_user(self, user_id: str, body: dict[str, Any]) -> dict[str, Any]: ...
    async def set_password(self, user_id: str, password: str) -> dict[str, Any]: ...
    async def list_scopes(self) -> list[dict[str, Any]]: ...
    async def list_keys(self) -> list[dict[str, Any]]: ...
    async def rotate_keys(self) -> dict[str, Any]: ...
    async def list_events(
        self, kind: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[dict[str, Any]]: ...
    async def list_initial_tokens(self) -> list[dict[str, Any]]: ...
    async def create_initial_token(self, body: dict[str, Any]) -> dict[str, Any]: ...
    async def revoke_initial_token(self, token_id: str) -> None: ...
    async def list_lockouts(self, family: str | None = None) -> list[dict[str, Any]]: ...
    async def list_providers(self) -> list[dict[str, Any]]: ...
    async def get_provider(self, alias: str) -> dict[str, Any]: ...
    async def add_provider(self, body: dict[str, Any]) -> dict[str, Any]: ...
    async def update_provider(self, alias: str, body: dict[str, Any]) -> dict[str, Any]: ...
    async def remove_provider(self, alias: str) -> None: ...
    async def list_identities(
        self, user_id: str | None = None, alias: str | None = None
    ) -> list[dict[str, Any]]: ...
    async def remove_identity(self, alias: str, subject: str) -> None: ...
    async def clear_lockouts(self, selector: dict[str, str]) -> dict[str, Any]:
        """Clear by ``id``, or by ``username``/``client_id``/``source``."""
        ...

    async def list_user_grants(self, user: str) -> list[dict[str, Any]]: ...
    async def revoke_user_grant(self, user: str, client_id: str) -> dict[str, Any]: ...
    async def revoke_user_grants(self, user: str) -> dict[str, Any]: ...
    async def list_user_sessions(self, user: str) -> list[dict[str, Any]]: ...
    async def end_user_session(self, user: str, sid: str) -> None: ...
    async def end_user_sessions(self, user: str) -> dict[str, Any]: ...
    async def list_user_factors(self, user: str) -> dict[str, Any]: ...
    async def reset_user_factors(self, user: str) -> dict[str, Any]: ...
    async def remove_user_factor(self, user: str, factor_id: str) -> None: ...
    async def list_user_passkeys(self, user: str) -> list[dict[str, Any]]: ...
    async def remove_user_passkey(self, user: str, credential_id: str) -> None: ...


def _parse(model: type[M], body: dict[str, Any]) -> M:
    """Validate as the Config API does (strict, from JSON), with the same error text."""
    try:
        return model.model_validate_json(orjson.dumps(body), strict=True)
    except ValidationError as exc:
        raise InvalidRequest(f"Invalid request body: {describe(exc)}") from None


class LocalBackend:
    """The use cases over this host's database, acting as ``cli:<os user>``."""

    def __init__(self, service: AdminService, actor: Actor) -> None:
        self._s = service
        self._actor = actor

    async def get_config(self) -> dict[str, Any]:
        return await self._s.config.get()

    async def set_properties(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        return (await self._s.config.set_properties(changes, self._actor)).document

    async def config_schema(self) -> dict[str, Any]:
        return AppConfiguration.model_json_schema()

    async def list_clients(self, pattern: str | None = None) -> list[dict[str, Any]]:
        return [client_json(c) for c in await self._s.clients.list(pattern, limit=500)]

    async def get_client(self, client_id: str) -> dict[str, Any]:
        return client_json(await self._s.clients.get(client_id))

    async def create_client(self, body: dict[str, Any]) -> dict[str, Any]:
        result = await self._s.clients.create(_parse(ClientIn, body), self._actor)
        return client_json(result.client, result.client_secret)

    async def update_client(self, client_id: str, body: dict[str, Any]) -> dict[str, Any]:
        result = await self._s.clients.update(client_id, _parse(ClientIn, body), self._actor)
        return client_json(result.client, result.client_secret)

    async def delete_client(self, client_id: str) -> None:
        await self._s.clients.delete(client_id, self._actor)

    async def list_users(self, pattern: str | None = None) -> list[dict[str, Any]]:
        return [user_json(u) for u in await self._s.users.list(pattern, limit=500)]

    async def get_user(self, user_id: str) -> dict[str, Any]:
        return user_json(await self._s.users.get(user_id))

    async def create_user(self, body: dict[str, Any]) -> dict[str, Any]:
        return user_json(await self._s.users.create(_parse(UserIn, body), self._actor))

    async def update_user(self, user_id: str, body: dict[str, Any]) -> dict[str, Any]:
        user = await self._s.users.update(user_id, _parse(UserUpdate, body), self._actor)
        return user_json(user)

    async def set_password(self, user_id: str, password: str) -> dict[str, Any]:
        body = _parse(PasswordIn, {"password": password})
        return user_json(await self._s.users.set_password(user_id, body, self._actor))

    async def list_scopes(self) -> list[dict[str, Any]]:
        return [scope_json(s) for s in await self._s.scopes.list()]

    async def list_keys(self) -> list[dict[str, Any]]:
        return [key_json(k) for k in await self._s.keys.list()]

    async def rotate_keys(self) -> dict[str, Any]:
        return rotation_json(await self._s.keys.rotate(self._actor))

    async def list_events(
        self, kind: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[dict[str, Any]]:
        return [event_json(e) for e in await self._s.events.list(limit, offset, kind)]

    async def list_initial_tokens(self) -> list[dict[str, Any]]:
        now = self._s.context.now()
        return [initial_token_json(t, now) for t in await self._s.initial_tokens.list(limit=500)]

    async def create_initial_token(self, body: dict[str, Any]) -> dict[str, Any]:
        issued = await self._s.initial_tokens.issue(_parse(InitialTokenIn, body), self._actor)
        return issued_token_json(issued, self._s.context.now())

    async def revoke_initial_token(self, token_id: str) -> None:
        await self._s.initial_tokens.revoke(token_id, self._actor)

    async def list_lockouts(self, family: str | None = None) -> list[dict[str, Any]]:
        return [lockout_json(x) for x in await self._s.lockouts.list(family, limit=500)]

    async def clear_lockouts(self, selector: dict[str, str]) -> dict[str, Any]:
        cleared = await self._s.lockouts.clear(LockoutSelector(**selector), self._actor)
        return cleared_json(cleared)

    async def list_providers(self) -> list[dict[str, Any]]:
        issuer = self._s.context.services.issuer
        return [provider_json(p, issuer) for p in await self._s.federation.list()]

    async def get_provider(self, alias: str) -> dict[str, Any]:
        found = await self._s.federation.get(alias)
        return provider_json(found, self._s.context.services.issuer)

    async def add_provider(self, body: dict[str, Any]) -> dict[str, Any]:
        added = await self._s.federation.create(_parse(ProviderIn, body), self._actor)
        return provider_json(added, self._s.context.services.issuer)

    async def update_provider(self, alias: str, body: dict[str, Any]) -> dict[str, Any]:
        changed = await self._s.federation.update(alias, _parse(ProviderUpdate, body), self._actor)
        return provider_json(changed, self._s.context.services.issuer)

    async def remove_provider(self, alias: str) -> None:
        await self._s.federation.remove(alias, self._actor)

    async def list_identities(
        self, user_id: str | None = None, alias: str | None = None
    ) -> list[dict[str, Any]]:
        found = await self._s.federation.links(user_id=user_id, alias=alias, limit=500)
        return [identity_json(i) for i in found]

    async def remove_identity(self, alias: str, subject: str) -> None:
        await self._s.federation.unlink(alias, subject, self._actor)

    async def list_user_grants(self, user: str) -> list[dict[str, Any]]:
        return [grant_json(g) for g in await self._s.accounts.grants(user)]

    async def revoke_user_grant(self, user: str, client_id: str) -> dict[str, Any]:
        result = await self._s.accounts.revoke_grant(user, client_id, self._actor)
        body = GrantRevokedOut(client_id=client_id, tokens_revoked=result.tokens)
        return body.model_dump(mode="json")

    async def revoke_user_grants(self, user: str) -> dict[str, Any]:
        revoked = await self._s.accounts.revoke_grants(user, self._actor)
        return GrantsRevokedOut(revoked=revoked).model_dump(mode="json")

    async def list_user_sessions(self, user: str) -> list[dict[str, Any]]:
        return [user_session_json(x) for x in await self._s.accounts.sessions(user)]

    async def end_user_session(self, user: str, sid: str) -> None:
        await self._s.accounts.end_session(user, sid, self._actor)

    async def end_user_sessions(self, user: str) -> dict[str, Any]:
        ended = await self._s.accounts.end_sessions(user, self._actor)
        return SessionsEndedOut(ended=ended).model_dump(mode="json")

    async def list_user_factors(self, user: str) -> dict[str, Any]:
        return user_factors_json(await self._s.factors.list(user))

    async def reset_user_factors(self, user: str) -> dict[str, Any]:
        removed = await self._s.factors.reset(user, self._actor)
        return FactorsResetOut(removed=removed).model_dump(mode="json")

    async def remove_user_factor(self, user: str, factor_id: str) -> None:
        await self._s.factors.remove(user, factor_id, self._actor)

    async def list_user_passkeys(self, user: str) -> list[dict[str, Any]]:
        return [passkey_json(p) for p in await self._s.passkeys.list(user)]

    async def remove_user_passkey(self, user: str, credential_id: str) -> None:
        await self._s.passkeys.remove(user, credential_id, self._actor)
