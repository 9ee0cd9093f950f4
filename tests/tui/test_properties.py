"""Auth Server → Properties, driven with Textual's Pilot against the real server."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from textual.widgets import Checkbox, DataTable, Input, Static

from authgate.appconfig import SECRET_PROPERTIES
from authgate.runtime import Runtime
from authgate.tui.app import AdminApp
from authgate.tui.widgets.properties import PropertiesPane, best_match
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


def _cursor(app: AdminApp) -> str:
    """The property on the table's cursor row: the one Enter opens."""
    return str(app.query_one(PropertiesPane).selected())


async def _public_token_request(http: httpx.AsyncClient, browser: Browser) -> httpx.Response:
    client = (await http.post("/jans-auth/restv1/register", json=flow_registration_body())).json()
    verifier = new_verifier()
    result = await browser.authorize(authorize_params(client["client_id"], s256(verifier), "S256"))
    form = token_form(client["client_id"], result.params["code"], verifier)
    return await http.post("/jans-auth/restv1/token", data=form)


README = Path(__file__).parents[2] / "README.md"
#: Key names as the README writes them -> Textual's key names.
KEY_NAMES = {"/": "slash", "Enter": "enter", "space": "space", "ctrl+s": "ctrl+s"}


def documented_keys(text: str) -> list[str]:
    """The keystrokes of the README's TUI step, as written: from `/` to `ctrl+s`, where
    ``type `TEXT``` means typing each character of TEXT."""
    step = text.split("to false using the TUI", 1)[1]
    step = step[step.index("`/`") : step.index("`ctrl+s`") + len("`ctrl+s`")]
    keys: list[str] = []
    for typed, key in re.findall(r"type\s+`([^`]+)`|`([^`]+)`", step):
        if typed:
            keys.extend(typed)
        else:
            keys.append(KEY_NAMES[key])
    return keys


def test_the_readme_step_is_keystrokes_only() -> None:
    keys = documented_keys(README.read_text("utf-8"))
    assert keys == [
        "slash",
        *"clientAuthenticationFiltersEnabled",
        "enter",
        "enter",
        "space",
        "ctrl+s",
    ]


async def test_flow_document_step_untick_client_authentication_filters(
    app: AdminApp, runtime: Runtime, http: httpx.AsyncClient, browser: Browser
) -> None:
    """The flow document: "set clientAuthenticationFiltersEnabled to false using the TUI"
    (docs/janssen-compatibility.md §9.2), replaying the README's keystrokes exactly."""
    await patch_config(runtime, clientAuthenticationFiltersEnabled=True)
    before = await _public_token_request(http, browser)
    assert before.status_code == 401
    keys = documented_keys(README.read_text("utf-8"))
    typed = keys[: keys.index("enter")]

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.focused is app.query_one("#properties", DataTable)
        assert _rows(app) == sorted(_rows(app))
        shown = set(runtime.services.config.current.to_document()) - SECRET_PROPERTIES
        assert set(_rows(app)) == shown  # the secret properties are write-only

        await pilot.press(*typed)  # "/" and the property's name
        search = app.focused
        assert isinstance(search, Input) and search.id == "property-search"
        assert app.query_one(PropertiesPane).has_class("searching")  # cursor row highlighted
        assert _cursor(app) == "clientAuthenticationFiltersEnabled"
        assert search.border_subtitle == "Enter, Enter: edit clientAuthenticationFiltersEnabled"

        await pilot.press(*keys[len(typed) : keys.index("space")])  # Enter, Enter
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, PropertyEditor)
        assert editor.property_name == "clientAuthenticationFiltersEnabled"
        checkbox = editor.query_one(Checkbox)
        assert checkbox.value is True
        await pilot.press("space")
        assert checkbox.value is False
        await pilot.press(*keys[keys.index("space") + 1 :])  # ctrl+s
        await settle(pilot)
        assert not isinstance(app.screen, PropertyEditor)
        table = app.query_one("#properties", DataTable)
        assert table.get_row("clientAuthenticationFiltersEnabled")[1] == "false"

    assert runtime.services.config.current.clientAuthenticationFiltersEnabled is False
    after = await _public_token_request(http, browser)
    assert after.status_code == 200, after.text


@pytest.mark.parametrize(
    ("typed", "selected"),
    [
        ("clientAuth", "clientAuthenticationFilters"),  # the first name it starts
        ("clientAuthenticationFilters", "clientAuthenticationFilters"),  # exact
        ("clientauthenticationfiltersenabled", "clientAuthenticationFiltersEnabled"),
        ("FiltersEnabled", "clientAuthenticationFiltersEnabled"),  # contains
        ("persistclient", "dynamicRegistrationPersistClientAuthorizations"),
    ],
)
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_search_puts_the_cursor_on_the_best_match(
    app: AdminApp, typed: str, selected: str
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.query_one("#properties", DataTable)
        await pilot.press("slash", *typed)
        await pilot.pause()
        assert _cursor(app) == selected
        searching = table.get_component_rich_style("datatable--cursor")
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is table
        assert not app.query_one(PropertiesPane).has_class("searching")
        assert _cursor(app) == selected
        # while typing, the row Enter opens looks as it does in the focused table
        assert searching.bgcolor == table.get_component_rich_style("datatable--cursor").bgcolor


def test_best_match_prefers_exact_then_prefix_then_substring() -> None:
    names = ["aXb", "ab", "abc", "xab"]
    assert best_match("ab", names) == "ab"
    assert best_match("AB", names) == "ab"
    assert best_match("a", names) == "aXb"
    assert best_match("bc", names) == "abc"
    assert best_match("q", names) is None


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_slash_inside_the_search_box_is_text(app: AdminApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"client/", "slash")
        search = app.query_one("#property-search", Input)
        assert app.focused is search
        assert search.value == "client//"
        assert _rows(app) == []


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
