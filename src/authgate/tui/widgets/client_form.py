"""The dialog that creates or edits a client.

It edits the members an operator changes most, those of a single-page or mobile app
included (its application type, its web origins, its logout redirects, its access tokens),
and how its responses are signed and encrypted (docs/authorization-responses.md); the other
members of an existing client are sent back unchanged (the Config API's PUT replaces the
whole client). A validation error, the form's own or the server's, is shown in
the dialog, which stays open.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, SelectionList, Static, TextArea

from authgate.admin.schemas import ClientIn
from authgate.admin.values import parse_lines
from authgate.appconfig import IMPLEMENTED_AUTH_METHODS, IMPLEMENTED_GRANT_TYPES
from authgate.appconfig_encryption import IMPLEMENTED_CONTENT_ENCS, IMPLEMENTED_KEY_ALGS
from authgate.appconfig_security import IMPLEMENTED_SIGNING_ALGS

RESPONSE_TYPES = ("code", "token", "id_token")
APPLICATION_TYPES = ("web", "native")
#: The form's checkboxes: member, label.
SWITCHES = (
    ("require_pkce", "Require PKCE"),
    ("dpop_bound_access_tokens", "DPoP-bound access tokens (RFC 9449)"),
    ("access_token_as_jwt", "JWT access tokens (RFC 9068)"),
    ("require_par", "Only pushed authorization requests (RFC 9126)"),
    ("disabled", "Disabled"),
)
#: The responses a client may have signed and encrypted: the members' prefix, the row's
#: label, and what an unset signing algorithm means for it.
RESPONSES = (
    ("id_token", "ID token", "sign: server default"),
    ("userinfo", "UserInfo", "sign: no, JSON"),
    ("authorization", "JARM", "sign: RS256"),
    ("introspection", "Introspection", "sign: server default"),
)
#: The members those rows edit: ``<prefix>_signed_response_alg``, ``..._encrypted_response_alg``
#: and ``..._encrypted_response_enc``.
RESPONSE_MEMBERS = tuple(
    f"{prefix}_{member}"
    for prefix, _label, _unset in RESPONSES
    for member in ("signed_response_alg", "encrypted_response_alg", "encrypted_response_enc")
)
LIFETIME_ERROR = "Access token lifetime: a whole number of seconds, or blank for the default"
#: Sends the client; returns (stored client, None) or (None, error message).
SaveClient = Callable[[dict[str, Any]], Awaitable[tuple[dict[str, Any] | None, str | None]]]


def editable(client: dict[str, Any] | None) -> dict[str, Any]:
    """The members of ``client`` that the Config API accepts back."""
    if client is None:
        return {}
    return {k: v for k, v in client.items() if k in ClientIn.model_fields}


def _choice(
    values: tuple[str, ...], unset: str, client: dict[str, Any], member: str
) -> Select[str]:
    """A choice among ``values`` (and the client's own, were it another), blank with
    ``unset`` shown where the client has none."""
    current = client.get(member)
    if current and current not in values:
        values = (*values, current)
    return Select([(v, v) for v in values], prompt=unset, value=current or Select.NULL, id=member)


class ClientForm(ModalScreen[dict[str, Any] | None]):
    """Returns the stored client (with ``client_secret`` when one was issued), or None."""

    DEFAULT_CSS = """
    ClientForm { align: center middle; }
    ClientForm > Vertical {
        width: 78; max-width: 100%; height: 100%; border: thick $primary; background: $surface;
    }
    ClientForm #title { text-style: bold; padding: 0 1; }
    ClientForm VerticalScroll { height: 1fr; padding: 0 1; }
    ClientForm Label { margin-top: 1; }
    ClientForm SelectionList { height: auto; max-height: 6; }
    ClientForm TextArea { height: 4; }
    ClientForm #error { color: $error; padding: 0 1; }
    ClientForm Horizontal { height: auto; align-horizontal: right; }
    ClientForm Horizontal.response { align-horizontal: left; }
    ClientForm Horizontal.response Select { width: 1fr; }
    ClientForm Button { margin-left: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, client: dict[str, Any] | None, save: SaveClient) -> None:
        super().__init__()
        self.client = client
        self.base = editable(client)
        self._save = save

    def compose(self) -> ComposeResult:
        b = self.base
        grants = set(b.get("grant_types", ["authorization_code"]))
        responses = set(b.get("response_types", ["code"]))
        title = f"Edit client {self.client['client_id']}" if self.client else "New client"
        with Vertical():
            yield Label(title, id="title")
            with VerticalScroll():
                yield Label("Client name")
                yield Input(b.get("client_name", ""), id="client_name")
                yield Label("Token endpoint auth method")
                yield Select(
                    [(m, m) for m in IMPLEMENTED_AUTH_METHODS],
                    allow_blank=False,
                    value=b.get("token_endpoint_auth_method", "client_secret_basic"),
                    id="token_endpoint_auth_method",
                )
                yield Label("Grant types")
                yield SelectionList[str](
                    *((g, g, g in grants) for g in IMPLEMENTED_GRANT_TYPES), id="grant_types"
                )
                yield Label("Response types")
                yield SelectionList[str](
                    *((r, r, r in responses) for r in RESPONSE_TYPES), id="response_types"
                )
                yield Label("Redirect URIs (one per line)")
                yield TextArea("\n".join(b.get("redirect_uris", [])), id="redirect_uris")
                yield Label("Scopes (space-separated)")
                yield Input(" ".join(b.get("scope", [])), id="scope")
                yield Label("Application type (native: a mobile or desktop app)")
                yield Select(
                    [(t, t) for t in APPLICATION_TYPES],
                    allow_blank=False,
                    value=b.get("application_type", "web"),
                    id="application_type",
                )
                yield Label("Web origins allowed to call the endpoints (CORS), one per line")
                yield TextArea("\n".join(b.get("authorized_origins", [])), id="authorized_origins")
                yield Label("Post-logout redirect URIs (one per line)")
                yield TextArea(
                    "\n".join(b.get("post_logout_redirect_uris", [])),
                    id="post_logout_redirect_uris",
                )
                yield Label("Access token lifetime in seconds (blank: the server's default)")
                lifetime = b.get("access_token_lifetime")
                yield Input("" if lifetime is None else str(lifetime), id="access_token_lifetime")
                for member, label in SWITCHES:
                    yield Checkbox(label, value=bool(b.get(member, False)), id=member)
                yield Label("Signed and encrypted responses (encryption uses the client's keys)")
                yield Label("JWK Set URL of the client (jwks_uri)")
                yield Input(b.get("jwks_uri") or "", id="jwks_uri")
                for prefix, label, unset in RESPONSES:
                    yield Label(label)
                    with Horizontal(classes="response"):
                        yield _choice(
                            IMPLEMENTED_SIGNING_ALGS, unset, b, f"{prefix}_signed_response_alg"
                        )
                        yield _choice(
                            IMPLEMENTED_KEY_ALGS,
                            "encrypt: no",
                            b,
                            f"{prefix}_encrypted_response_alg",
                        )
                        yield _choice(
                            IMPLEMENTED_CONTENT_ENCS,
                            "enc: A128CBC-HS256",
                            b,
                            f"{prefix}_encrypted_response_enc",
                        )
            yield Static("", id="error")
            with Horizontal():
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#client_name", Input).focus()

    def body(self) -> dict[str, Any]:
        """The client to send: the untouched members plus what the form edits.

        Raises:
            ValueError: the access token lifetime is not a whole number (:data:`LIFETIME_ERROR`).
        """
        method = self.query_one("#token_endpoint_auth_method", Select).value
        lifetime = self.query_one("#access_token_lifetime", Input).value.strip()
        if lifetime and not lifetime.isdecimal():
            raise ValueError(LIFETIME_ERROR)
        lines = {
            member: parse_lines(self.query_one(f"#{member}", TextArea).text)
            for member in ("redirect_uris", "authorized_origins", "post_logout_redirect_uris")
        }
        chosen = {member: self.query_one(f"#{member}", Select).value for member in RESPONSE_MEMBERS}
        return {
            **self.base,
            **{member: None if value is Select.NULL else value for member, value in chosen.items()},
            "jwks_uri": self.query_one("#jwks_uri", Input).value.strip() or None,
            "client_name": self.query_one("#client_name", Input).value.strip(),
            "token_endpoint_auth_method": method,
            "grant_types": list(self.query_one("#grant_types", SelectionList).selected),
            "response_types": list(self.query_one("#response_types", SelectionList).selected),
            **lines,
            "scope": self.query_one("#scope", Input).value.split(),
            "application_type": self.query_one("#application_type", Select).value,
            "access_token_lifetime": int(lifetime) if lifetime else None,
            **{member: self.query_one(f"#{member}", Checkbox).value for member, _ in SWITCHES},
        }

    async def action_save(self) -> None:
        try:
            body = self.body()
        except ValueError as exc:
            self.query_one("#error", Static).update(str(exc))
            return
        stored, error = await self._save(body)
        if error is not None:
            self.query_one("#error", Static).update(error)
            return
        self.dismiss(stored)

    def action_cancel(self) -> None:
        self.dismiss(None)

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            await self.action_save()
        else:
            self.action_cancel()
