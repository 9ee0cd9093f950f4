"""Auth Server → Clients: list with search, view all metadata, create, edit, delete."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType

from authgate.admin.client import AdminApiError, ServerUnreachable
from authgate.tui.widgets.client_form import ClientForm
from authgate.tui.widgets.confirm import ConfirmDialog
from authgate.tui.widgets.json_view import JsonView
from authgate.tui.widgets.table_pane import TablePane

#: Characters of a client's name shown in the table (the whole name is in the detail view).
NAME_WIDTH = 28


class ClientsPane(TablePane):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "New"),
        Binding("e", "edit", "Edit"),
        Binding("d", "delete", "Delete"),
    ]
    # The client id second, after a name cut to NAME_WIDTH: both fit in 80 columns.
    COLUMNS = (
        ("Name", "client_name"),
        ("Client ID", "client_id"),
        ("Auth method", "token_endpoint_auth_method"),
        ("Grant types", "grant_types"),
    )
    KEY = "client_id"
    TITLE = "Client"

    def cell(self, item: dict[str, Any], member: str) -> str:
        text = super().cell(item, member)
        if member == "client_name" and len(text) > NAME_WIDTH:
            return text[: NAME_WIDTH - 1] + "…"
        return text

    async def fetch(self, pattern: str | None) -> list[dict[str, Any]]:
        return await self.client.list_clients(pattern)

    def action_view(self) -> None:
        item = self.selected()
        if item is not None:
            self.app.push_screen(JsonView(f"Client {item['client_id']}", item))

    async def _create(self, body: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
        try:
            return await self.client.create_client(body), None
        except AdminApiError as exc:
            return None, exc.description
        except ServerUnreachable as exc:
            return None, str(exc)

    def action_new(self) -> None:
        self.app.push_screen(ClientForm(None, self._create), self._stored)

    def action_edit(self) -> None:
        item = self.selected()
        if item is None:
            return
        client_id = item["client_id"]

        async def update(body: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
            try:
                return await self.client.update_client(client_id, body), None
            except AdminApiError as exc:
                return None, exc.description
            except ServerUnreachable as exc:
                return None, str(exc)

        self.app.push_screen(ClientForm(item, update), self._stored)

    def _stored(self, client: dict[str, Any] | None) -> None:
        if client is None:
            return
        self.load()
        secret = client.get("client_secret")
        if secret:
            note = "The client secret is shown only now. Copy it before closing this dialog."
            self.app.push_screen(JsonView(f"Client {client['client_id']} saved", client, note))
        else:
            self.notify(f"client {client['client_name'] or client['client_id']} saved")

    def action_delete(self) -> None:
        item = self.selected()
        if item is None:
            return
        label = item["client_name"] or item["client_id"]
        question = f"Delete client {label} ({item['client_id']}) and revoke its tokens?"

        async def confirmed(answer: bool | None) -> None:
            if answer:
                await self.call(self.client.delete_client(item["client_id"]), f"deleted {label}")

        self.app.push_screen(ConfirmDialog(question), confirmed)
