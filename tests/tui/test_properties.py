"""Auth Server → Properties, driven with Textual's Pilot against the real server."""

from __future__ import annotations

import httpx
from textual.widgets import Checkbox, DataTable, Input, Static

from authgate.appconfig import SECRET_PROPERTIES
from authgate.runtime import Runtime
from authgate.tui.app import AdminApp
from authgate.tui.widgets.properties import PropertiesPane
from authgate.tui.widgets.property_editor import PropertyEditor
from tests.conftest import patch_config
from tests.support import (
    Browser,
    authorize_params,
    flow_registration_body,
    new_verifier,
    s256,
    token_form,
)
from tests.tui.conftest import settle


def _rows(app: AdminApp) -> list[str]:
    table = app.query_one("#properties", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def _public_token_request(http: httpx.AsyncClient, browser: Browser) -> httpx.Response:
    client = (await http.post("/jans-auth/restv1/register", json=flow_registration_body())).json()
    verifier = new_verifier()
    result = await browser.authorize(authorize_params(client["client_id"], s256(verifier), "S256"))
    form = token_form(client["client_id"], result.params["code"], verifier)
    return await http.post("/jans-auth/restv1/token", data=form)


async def test_flow_document_step_untick_client_authentication_filters(
    app: AdminApp, runtime: Runtime, http: httpx.AsyncClient, browser: Browser
) -> None:
    """The flow document: "set clientAuthenticationFiltersEnabled to false using the TUI"
    (docs/janssen-compatibility.md §9.2)."""
    await patch_config(runtime, clientAuthenticationFiltersEnabled=True)
    before = await _public_token_request(http, browser)
    assert before.status_code == 401

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.focused is app.query_one("#properties", DataTable)
        assert _rows(app) == sorted(_rows(app))
        shown = set(runtime.services.config.current.to_document()) - SECRET_PROPERTIES
        assert set(_rows(app)) == shown  # the secret properties are write-only

        await pilot.press("slash", *"clientAuth")
        focused = app.focused
        assert isinstance(focused, Input) and focused.id == "property-search"
        assert _rows(app) == [  # case-insensitive substring of the name, sorted
            "clientAuthenticationFilters",
            "clientAuthenticationFiltersEnabled",
            "dynamicRegistrationPersistClientAuthorizations",
        ]
        await pilot.press("enter", "down", "enter")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, PropertyEditor)
        assert editor.property_name == "clientAuthenticationFiltersEnabled"
        checkbox = editor.query_one(Checkbox)
        assert checkbox.value is True
        await pilot.press("space")
        assert checkbox.value is False
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, PropertyEditor)
        table = app.query_one("#properties", DataTable)
        assert table.get_row("clientAuthenticationFiltersEnabled")[1] == "false"

    assert runtime.services.config.current.clientAuthenticationFiltersEnabled is False
    after = await _public_token_request(http, browser)
    assert after.status_code == 200, after.text


async def test_server_validation_error_is_shown_and_nothing_is_saved(
    app: AdminApp, runtime: Runtime
) -> None:
    before = await runtime.config_store.load()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"accessTokenLife", "enter", "enter")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, PropertyEditor)
        field = editor.query_one("#value", Input)
        assert field.value == "300"
        field.value = "-5"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is editor
        error = str(editor.query_one("#error", Static).render())
        assert "accessTokenLifetime" in error
        assert "greater than or equal to 1" in error
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, PropertyEditor)
    assert await runtime.config_store.load() == before


async def test_typed_editors_for_lists_and_text(app: AdminApp, runtime: Runtime) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        pane = app.query_one(PropertiesPane)
        await pilot.press("slash", *"clientWhiteList", "enter", "enter")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, PropertyEditor)
        assert editor.kind.name == "list"
        area = editor.query_one("#value")
        area.text = "https://*.example.com/*\n\nhttp://127.0.0.1*\n"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert runtime.services.config.current.clientWhiteList == [
            "https://*.example.com/*",
            "http://127.0.0.1*",
        ]
        assert pane.kinds["jansOpenIdConnectVersion"].name == "string"
        assert pane.kinds["defaultSubjectType"].name == "enum"
        assert pane.kinds["clientAuthenticationFilters"].name == "json"
        assert pane.kinds["requirePkce"].name == "boolean"
