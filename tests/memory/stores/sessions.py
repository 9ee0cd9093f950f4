"""Login sessions, interactions and consent (``core.ports.SessionStore``,
``InteractionStore``, ``ConsentStore``), as :mod:`authgate.storage.sessions` keeps them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import orjson

from authgate.core.types import AuthorizationRequest, Interaction, LoginSession, SessionState
from authgate.storage.sessions import USER_AGENT_MAX
from tests.memory.stores.tables import Consent, Tables, require_new

#: ``SqlConsentStore.grant`` retries its compare-and-set this many times, then gives up.


class MemorySessionStore:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, session: LoginSession) -> None:
        """Raises IntegrityViolation for a session_hash or sid already taken."""
        require_new(self._t.sessions, [session.session_hash], "sessions")
        require_new({s.sid for s in self._t.sessions.values()}, [session.sid], "sessions")
        self._t.sessions[session.session_hash] = LoginSession(
            session.session_hash,
            session.sid,
            session.user_id,
            session.auth_time,
            session.expires_at,
            session.acr,
            tuple(session.amr),
            session.user_agent[:USER_AGENT_MAX],
            session.last_used_at,
        )

    async def get(self, session_hash: str) -> LoginSession | None:
        """The session until it is ended; expiry is the caller's check, as in SQL."""
        return self._t.sessions.get(session_hash)

    async def state(self, session_hash: str, client_id: str) -> SessionState | None:
        """The session, whether its user exists and is enabled (a user that is gone reads as
        disabled), and what the user approved for ``client_id`` (empty when nothing)."""
        session = self._t.sessions.get(session_hash)
        if session is None:
            return None
        user = self._t.users.get(session.user_id)
        consent = self._t.consents.get((session.user_id, client_id))
        return SessionState(
            session=session,
            client_id=client_id,
            user_enabled=user is not None and user.enabled,
            consented=consent.scope if consent is not None else frozenset(),
        )

    async def end(self, session_hash: str) -> None:
        """Delete it; ending an unknown session is not an error."""
        self._t.sessions.pop(session_hash, None)

    async def by_sid(self, sid: str) -> LoginSession | None:
        """The session with this sid until it is ended (expiry is the caller's check)."""
        return next((s for s in self._t.sessions.values() if s.sid == sid), None)

    async def elevate(self, session_hash: str, stronger: LoginSession) -> bool:
        """Move the session to its new hash with the stronger authentication; False for an
        unknown session or another sid. Raises IntegrityViolation for a hash taken."""
        current = self._t.sessions.get(session_hash)
        if current is None or current.sid != stronger.sid:
            return False
        if stronger.session_hash != session_hash:
            require_new(self._t.sessions, [stronger.session_hash], "sessions")
        del self._t.sessions[session_hash]
        self._t.sessions[stronger.session_hash] = dataclasses.replace(
            current,
            session_hash=stronger.session_hash,
            acr=stronger.acr,
            amr=tuple(stronger.amr),
            auth_time=stronger.auth_time,
        )
        return True


class MemoryInteractionStore:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, interaction: Interaction) -> None:
        """Raises IntegrityViolation for an interaction_id already taken."""
        require_new(self._t.interactions, [interaction.interaction_id], "interactions")
        self._t.interactions[interaction.interaction_id] = _stored(interaction)

    async def get(self, interaction_id: str) -> Interaction | None:
        """The interaction, expired or not (expiry is the caller's check, as in SQL)."""
        return self._t.interactions.get(interaction_id)

    async def replace(self, interaction: Interaction) -> None:
        """Overwrite it; an unknown interaction is left absent (an UPDATE of no row)."""
        if interaction.interaction_id in self._t.interactions:
            self._t.interactions[interaction.interaction_id] = _stored(interaction)

    async def delete(self, interaction_id: str) -> bool:
        return self._t.interactions.pop(interaction_id, None) is not None


def _stored(interaction: Interaction) -> Interaction:
    """The interaction as it reads back: its request through the JSON the database keeps."""
    request = orjson.loads(orjson.dumps(interaction.request.to_json()))
    return Interaction(
        interaction_id=interaction.interaction_id,
        browser_hash=interaction.browser_hash,
        csrf_token=interaction.csrf_token,
        request=AuthorizationRequest.from_json(request),
        expires_at=interaction.expires_at,
        user_id=interaction.user_id,
        session_hash=interaction.session_hash,
        login_done=bool(interaction.login_done),
        created_at=interaction.created_at,
    )


class MemoryConsentStore:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def granted(self, user_id: str, client_id: str) -> frozenset[str]:
        consent = self._t.consents.get((user_id, client_id))
        return consent.scope if consent is not None else frozenset()

    async def grant(self, user_id: str, client_id: str, scope: Iterable[str], now: float) -> bool:
        """Add ``scope`` to what the user approved for the client; False (nothing written) when
        the client does not exist, as the SQL store's foreign key decides."""
        if client_id not in self._t.clients:
            return False
        key = (user_id, client_id)
        held = self._t.consents.get(key)
        merged = frozenset(scope) | (held.scope if held is not None else frozenset())
        self._t.consents[key] = Consent(frozenset(" ".join(merged).split()), now)
        return True
