"""The user's account screen (``a`` on the Users tab): the user's second factors, the apps
the user approved and the user's login sessions, as on the account page (docs/account.md).
``d`` removes the selected factor, revokes the selected grant (the app's tokens for the user
at once) or ends the selected session (logout, with back-channel logout); ``D`` does it for
all (for factors: the reset, every authenticator app, passkey and recovery code); Tab moves
between the tables. No seed, code or key is shown."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Label

from authgate.admin.client import AdminClient
from authgate.tui.widgets.confirm import ConfirmDialog
from authgate.tui.widgets.table_pane import TablePane


class _UserPane(TablePane):
    SEARCH = False

    def __init__(self, client: AdminClient, user: dict[str, Any], *, id: str) -> None:
        super().__init__(client, id=id)
        self.user = user

    @property
    def user_ref(self) -> str:
        return str(self.user["user_id"])

    def _confirm(self, question: str, action: Any, done: str) -> None:
        async def confirmed(answer: bool | None) -> None:
            if answer:
                await self.call(action(), done)

        self.app.push_screen(ConfirmDialog(question), confirmed)


class UserGrantsPane(_UserPane):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "revoke", "Revoke"),
        Binding("D", "revoke_all", "Revoke all"),
    ]
    COLUMNS = (
        ("App", "client_name"),
        ("Client ID", "client_id"),
        ("Scopes", "scope"),
        ("Approved", "granted_at"),
    )
    KEY = "client_id"
    TITLE = "Grant"
    TIMES = frozenset({"granted_at"})

    async def fetch(self, pattern: str | None) -> list[dict[str, Any]]:
        return await self.client.list_user_grants(self.user_ref)

    def action_revoke(self) -> None:
        grant = self.selected()
        if grant is None:
            return
        client_id = grant["client_id"]
        self._confirm(
            f"Revoke {grant['client_name'] or client_id} for {self.user['username']} "
            "and its tokens?",
            lambda: self.client.revoke_user_grant(self.user_ref, client_id),
            "grant revoked",
        )

    def action_revoke_all(self) -> None:
        self._confirm(
            f"Revoke every app of {self.user['username']} and their tokens?",
            lambda: self.client.revoke_user_grants(self.user_ref),
            "grants revoked",
        )


class UserFactorsPane(_UserPane):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "remove", "Remove"),
        Binding("D", "reset", "Reset all"),
    ]
    COLUMNS = (
        ("Kind", "kind"),
        ("Name", "name"),
        ("ID", "id"),
        ("Added", "created_at"),
        ("Last used", "last_used_at"),
    )
    KEY = "id"
    TITLE = "Factor"
    TIMES = frozenset({"created_at", "last_used_at"})

    async def fetch(self, pattern: str | None) -> list[dict[str, Any]]:
        found = await self.client.list_user_factors(self.user_ref)
        rows: list[dict[str, Any]] = [
            {"kind": "authenticator app" if f["confirmed"] else "authenticator app (pending)",
             "name": f["label"], "id": f["factor_id"], "created_at": f["created_at"],
             "last_used_at": f["last_used_at"]}
            for f in found["factors"]
        ]  # fmt: skip
        rows += [
            {"kind": "passkey", "name": p["name"], "id": p["credential_id"],
             "created_at": p["created_at"], "last_used_at": p["last_used_at"]}
            for p in found["passkeys"]
        ]  # fmt: skip
        if found["recovery_codes_left"]:
            left = found["recovery_codes_left"]
            codes = {"kind": "recovery codes", "name": f"{left} left", "id": "recovery-codes"}
            rows.append(codes | {"created_at": None, "last_used_at": None})
        return rows

    def action_remove(self) -> None:
        factor = self.selected()
        if factor is None or factor["kind"] == "recovery codes":
            return
        item = factor["id"]
        remove = (
            (lambda: self.client.remove_user_passkey(self.user_ref, item))
            if factor["kind"] == "passkey"
            else (lambda: self.client.remove_user_factor(self.user_ref, item))
        )
        self._confirm(
            f"Remove the {factor['kind']} {factor['name'] or item} of {self.user['username']}?",
            remove,
            "factor removed",
        )

    def action_reset(self) -> None:
        self._confirm(
            f"Reset every second factor of {self.user['username']} (authenticator apps, "
            "passkeys, recovery codes)?",
            lambda: self.client.reset_user_factors(self.user_ref),
            "factors reset",
        )


class UserSessionsPane(_UserPane):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "end", "End"),
        Binding("D", "end_all", "End all"),
    ]
    COLUMNS = (
        ("Session ID", "sid"),
        ("Signed in", "auth_time"),
        ("Last used", "last_used_at"),
        ("Expires", "expires_at"),
        ("Browser", "user_agent"),
    )
    KEY = "sid"
    TITLE = "Session"
    TIMES = frozenset({"auth_time", "last_used_at", "expires_at"})

    async def fetch(self, pattern: str | None) -> list[dict[str, Any]]:
        return await self.client.list_user_sessions(self.user_ref)

    def action_end(self) -> None:
        session = self.selected()
        if session is None:
            return
        sid = session["sid"]
        self._confirm(
            f"End this session of {self.user['username']} (back-channel logout)?",
            lambda: self.client.end_user_session(self.user_ref, sid),
            "session ended",
        )

    def action_end_all(self) -> None:
        self._confirm(
            f"End every session of {self.user['username']} (back-channel logout)?",
            lambda: self.client.end_user_sessions(self.user_ref),
            "sessions ended",
        )


class UserAccountScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Back", priority=True)]

    def __init__(self, client: AdminClient, user: dict[str, Any]) -> None:
        super().__init__()
        self.client = client
        self.user = user

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        yield Label("Second factors", classes="section")
        yield UserFactorsPane(self.client, self.user, id="pane-user-factors")
        yield Label("Apps approved", classes="section")
        yield UserGrantsPane(self.client, self.user, id="pane-user-grants")
        yield Label("Sessions", classes="section")
        yield UserSessionsPane(self.client, self.user, id="pane-user-sessions")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"Account of {self.user['username']}"
        self.query_one(UserFactorsPane).load()
        self.query_one(UserGrantsPane).load()
        self.query_one(UserSessionsPane).load()
        self.query_one("#pane-user-grants DataTable", DataTable).focus()

    def action_close(self) -> None:
        self.dismiss()
