"""Auth Server → Clients: search, view, create, edit, delete, through the real Config API."""

from __future__ import annotations

import dataclasses

from textual.pilot import Pilot
from textual.widgets import Checkbox, DataTable, Input, Select, SelectionList, TextArea

from authgate.assembly import admin_service
from authgate.core.types import Client
from authgate.runtime import Runtime
from authgate.tui.app import AdminApp
from authgate.tui.widgets.client_form import ClientForm
from authgate.tui.widgets.confirm import ConfirmDialog
from authgate.tui.widgets.json_view import JsonView
from tests.tui.conftest import settle


def _names(app: AdminApp) -> list[str]:
    table = app.query_one("#pane-clients DataTable", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def _new_client_form(app: AdminApp, pilot: Pilot[None]) -> ClientForm:
    """The Clients tab's dialog for a new client, once the app has settled."""
    await settle(pilot)
    await pilot.press("2", "n")
    await settle(pilot)
    form = app.screen
    assert isinstance(form, ClientForm)
    return form


async def _edit_form(app: AdminApp, pilot: Pilot[None], search: str) -> ClientForm:
    """The edit dialog of the one client the search for ``search`` finds."""
    await pilot.press("slash", *search, "enter")
    await settle(pilot)
    await pilot.press("e")
    await settle(pilot)
    form = app.screen
    assert isinstance(form, ClientForm)
    return form


async def _refused(app: AdminApp, pilot: Pilot[None], form: ClientForm, message: str) -> None:
    """Saving ``form`` leaves it open with ``message`` in its error line."""
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert app.screen is form
    assert message in str(form.query_one("#error").render())


async def _saved(app: AdminApp, pilot: Pilot[None], runtime: Runtime, name: str) -> Client:
    """Saving the open form closes it; the stored client named ``name``."""
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert not isinstance(app.screen, ClientForm)
    (created,) = [
        c for c in await admin_service(runtime).clients.list() if c.metadata.client_name == name
    ]
    return created


async def test_create_view_edit_and_delete_a_client(app: AdminApp, runtime: Runtime) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        assert app.query_one("#area").active == "tab-clients"  # type: ignore[attr-defined]
        assert _names(app) == ["authgate admin (Config API)"]

        # create a public SPA client
        assert app.focused is app.query_one("#pane-clients DataTable")
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ClientForm)
        form.query_one("#client_name", Input).value = "Orders SPA"
        form.query_one("#token_endpoint_auth_method").value = "none"  # type: ignore[attr-defined]
        form.query_one("#redirect_uris", TextArea).text = "https://spa.example/cb"
        form.query_one("#scope", Input).value = "openid profile"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ClientForm)
        assert "Orders SPA" in _names(app)

        # search, then view all metadata
        await pilot.press("slash", *"orders")
        await settle(pilot)
        assert _names(app) == ["Orders SPA"]
        await pilot.press("enter", "enter")
        await settle(pilot)
        view = app.screen
        assert isinstance(view, JsonView)
        assert view.value["redirect_uris"] == ["https://spa.example/cb"]
        assert view.value["token_endpoint_auth_method"] == "none"
        client_id = view.value["client_id"]
        await pilot.press("escape")

        # edit: make it confidential with client_credentials; the secret is shown once
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ClientForm)
        form.query_one("#token_endpoint_auth_method").value = "client_secret_basic"  # type: ignore[attr-defined]
        form.query_one("#grant_types", SelectionList).select("client_credentials")
        await pilot.press("ctrl+s")
        await settle(pilot)
        shown = app.screen
        assert isinstance(shown, JsonView)
        assert shown.value["client_secret"]
        await pilot.press("escape")
        stored = await runtime.services.clients.get(client_id)
        assert stored is not None and stored.secret_hash is not None
        assert "client_credentials" in stored.metadata.grant_types

        # delete with confirmation: "n" keeps it, "y" deletes it
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert await runtime.services.clients.get(client_id) is not None
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert _names(app) == []
    assert await runtime.services.clients.get(client_id) is None


async def test_invalid_client_shows_the_servers_error(app: AdminApp, runtime: Runtime) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        form = await _new_client_form(app, pilot)
        form.query_one("#redirect_uris", TextArea).text = "http://evil.example/cb"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "evil.example" in str(form.query_one("#error").render())
        await pilot.press("escape")
    clients = await admin_service(runtime).clients.list()
    assert [c.metadata.client_name for c in clients] == ["authgate admin (Config API)"]


async def test_the_form_edits_what_an_spa_or_mobile_app_needs_and_keeps_the_rest(
    app: AdminApp, runtime: Runtime
) -> None:
    """Application type, CORS origins, logout redirects, the access token's lifetime and
    form; a lifetime that is not a number stays in the dialog; members the form does not
    show (here the token exchange audiences) are sent back unchanged."""
    clients = runtime.services.clients
    async with app.run_test(size=(80, 24)) as pilot:
        form = await _new_client_form(app, pilot)
        form.query_one("#client_name", Input).value = "Field app"
        form.query_one("#token_endpoint_auth_method").value = "none"  # type: ignore[attr-defined]
        form.query_one("#redirect_uris", TextArea).text = "com.example.field:/cb"
        form.query_one("#application_type").value = "native"  # type: ignore[attr-defined]
        form.query_one("#post_logout_redirect_uris", TextArea).text = "com.example.field:/out"
        form.query_one("#access_token_lifetime", Input).value = "ten minutes"
        form.query_one("#dpop_bound_access_tokens", Checkbox).value = True
        await _refused(app, pilot, form, "whole number of seconds")
        form.query_one("#access_token_lifetime", Input).value = "600"
        created = await _saved(app, pilot, runtime, "Field app")
        meta = created.metadata
        assert meta.application_type == "native" and meta.dpop_bound_access_tokens
        assert meta.post_logout_redirect_uris == ("com.example.field:/out",)
        assert meta.access_token_lifetime == 600 and not meta.access_token_as_jwt

        # a member the form does not show, set elsewhere, then the list reloaded
        audiences = dataclasses.replace(meta, token_exchange_audiences=("orders",))
        assert await clients.replace(dataclasses.replace(created, metadata=audiences))
        await pilot.press("ctrl+r")
        await settle(pilot)
        form = await _edit_form(app, pilot, "field")
        assert form.query_one("#access_token_lifetime", Input).value == "600"
        assert form.query_one("#dpop_bound_access_tokens", Checkbox).value is True
        form.query_one("#authorized_origins", TextArea).text = "https://app.example\n"
        form.query_one("#access_token_lifetime", Input).value = ""
        form.query_one("#access_token_as_jwt", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ClientForm)
    edited = await clients.get(created.client_id)
    assert edited is not None
    assert edited.metadata.authorized_origins == ("https://app.example",)
    assert edited.metadata.access_token_lifetime is None and edited.metadata.access_token_as_jwt
    assert edited.metadata.token_exchange_audiences == ("orders",)
    assert edited.metadata.application_type == "native"


async def test_the_form_sets_how_responses_are_signed_and_encrypted(
    app: AdminApp, runtime: Runtime
) -> None:
    """The client's jwks_uri and, for ID tokens, UserInfo, JARM and introspection, the
    signing algorithm and the encryption algorithm and method; the server's refusal of an
    ``enc`` without its ``alg`` stays in the dialog; cleared choices are stored as unset."""
    clients = runtime.services.clients
    async with app.run_test(size=(80, 24)) as pilot:
        form = await _new_client_form(app, pilot)
        form.query_one("#client_name", Input).value = "Sealed app"
        form.query_one("#token_endpoint_auth_method").value = "none"  # type: ignore[attr-defined]
        form.query_one("#redirect_uris", TextArea).text = "https://sealed.example/cb"
        form.query_one("#jwks_uri", Input).value = "https://sealed.example/jwks.json"
        form.query_one("#id_token_encrypted_response_alg", Select).value = "RSA-OAEP-256"
        form.query_one("#id_token_encrypted_response_enc", Select).value = "A256GCM"
        form.query_one("#userinfo_signed_response_alg", Select).value = "ES256"
        form.query_one("#authorization_encrypted_response_enc", Select).value = "A128GCM"
        await _refused(app, pilot, form, "authorization_encrypted_response_alg")
        form.query_one("#authorization_encrypted_response_enc", Select).clear()
        created = await _saved(app, pilot, runtime, "Sealed app")
        meta = created.metadata
        assert meta.jwks_uri == "https://sealed.example/jwks.json"
        assert meta.id_token_encrypted_response_alg == "RSA-OAEP-256"
        assert meta.id_token_encrypted_response_enc == "A256GCM"
        assert meta.userinfo_signed_response_alg == "ES256"
        assert meta.id_token_signed_response_alg == "RS256"  # the server's default, filled in
        assert meta.authorization_encrypted_response_enc is None

        # the edit form shows what is stored; clearing the ID token's encryption unsets it
        form = await _edit_form(app, pilot, "sealed")
        assert form.query_one("#id_token_encrypted_response_enc", Select).value == "A256GCM"
        assert form.query_one("#userinfo_signed_response_alg", Select).value == "ES256"
        assert form.query_one("#jwks_uri", Input).value == "https://sealed.example/jwks.json"
        form.query_one("#id_token_encrypted_response_alg", Select).clear()
        form.query_one("#id_token_encrypted_response_enc", Select).clear()
        form.query_one("#introspection_signed_response_alg", Select).value = "PS256"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ClientForm)
    edited = await clients.get(created.client_id)
    assert edited is not None
    assert edited.metadata.id_token_encrypted_response_alg is None
    assert edited.metadata.id_token_encrypted_response_enc is None
    assert edited.metadata.userinfo_signed_response_alg == "ES256"
    assert edited.metadata.introspection_signed_response_alg == "PS256"
    assert edited.metadata.jwks_uri == "https://sealed.example/jwks.json"
