"""The pages' language over HTTP: ``ui_locales`` (carried through the interaction) first,
then ``Accept-Language``, then ``uiLocaleDefault``; an unknown tag falls back cleanly;
discovery advertises ``ui_locales_supported``; branding and its validation."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import httpx
import pytest
from pydantic import ValidationError

from authgate.appconfig import AppConfiguration
from authgate.runtime import Runtime
from authgate.web import error_texts, i18n
from tests.conftest import patch_config
from tests.support import SQLITE_ONLY, Flow, authorize_params, hidden_form, new_verifier, s256


async def _login_page(
    http: httpx.AsyncClient, flow: Flow, headers: dict[str, str] | None = None, **extra: str
) -> httpx.Response:
    client = await flow.register()
    params = authorize_params(client["client_id"], s256(new_verifier()), "S256", **extra)
    started = await http.get("/jans-auth/restv1/authorize?" + urlencode(params), headers=headers)
    assert started.status_code in (302, 303), started.text
    return await http.get(started.headers["location"], headers=headers)


@SQLITE_ONLY
async def test_english_by_default(http: httpx.AsyncClient, flow: Flow) -> None:
    page = await _login_page(http, flow)
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert page.headers["content-language"] == "en"
    assert ">Sign in</h1>" in page.text


@SQLITE_ONLY
async def test_accept_language_picks_german(http: httpx.AsyncClient, flow: Flow) -> None:
    page = await _login_page(http, flow, headers={"Accept-Language": "fr;q=0.9, de-AT;q=0.8"})
    assert '<html lang="de">' in page.text
    assert ">Anmelden</h1>" in page.text
    assert "Benutzername" in page.text and "Passwort" in page.text


@SQLITE_ONLY
async def test_ui_locales_wins_over_accept_language(http: httpx.AsyncClient, flow: Flow) -> None:
    page = await _login_page(http, flow, headers={"Accept-Language": "en"}, ui_locales="fr de")
    assert '<html lang="de">' in page.text
    # and the other way round: English asked for in ui_locales beats a German browser
    page = await _login_page(http, flow, headers={"Accept-Language": "de"}, ui_locales="en-GB")
    assert '<html lang="en">' in page.text


@SQLITE_ONLY
async def test_ui_locales_carries_to_the_failed_login_and_consent(
    http: httpx.AsyncClient, flow: Flow
) -> None:
    page = await _login_page(http, flow, ui_locales="de")
    action, fields = hidden_form(page.text)
    wrong = await http.post(action, data=fields | {"username": "alice", "password": "nope"})
    assert wrong.status_code == 401
    assert "Benutzername oder Passwort ist falsch." in wrong.text
    assert 'role="alert"' in wrong.text and 'aria-invalid="true"' in wrong.text
    right = fields | {"username": "alice", "password": "correct horse battery staple"}
    consent = await http.post(action, data=right)
    assert consent.status_code == 303
    page = await http.get(consent.headers["location"])
    assert "Zugriff erlauben?" in page.text
    assert "Sie mit Ihrem Konto anmelden" in page.text  # the openid scope's description


@SQLITE_ONLY
@pytest.mark.parametrize("header", ["xx-YY", "*", "de;q=0", ";;;,q=zz", "x" * 2000])
async def test_unknown_or_malformed_locale_falls_back(
    http: httpx.AsyncClient, flow: Flow, header: str
) -> None:
    page = await _login_page(http, flow, headers={"Accept-Language": header}, ui_locales="tlh")
    assert page.status_code == 200
    assert '<html lang="en">' in page.text


@SQLITE_ONLY
async def test_the_default_locale_is_configurable(
    http: httpx.AsyncClient, flow: Flow, runtime: Runtime
) -> None:
    await patch_config(runtime, uiLocaleDefault="de")
    page = await _login_page(http, flow, headers={"Accept-Language": "fr"})
    assert '<html lang="de">' in page.text
    await patch_config(runtime, uiLocalesSupported=["en"], uiLocaleDefault="en")
    page = await _login_page(http, flow, ui_locales="de")
    assert '<html lang="en">' in page.text
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert doc["ui_locales_supported"] == ["en"]


@SQLITE_ONLY
async def test_discovery_advertises_ui_locales(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert doc["ui_locales_supported"] == ["en", "de"]


@SQLITE_ONLY
async def test_error_page_is_translated_and_keeps_the_protocol_code(
    http: httpx.AsyncClient,
) -> None:
    page = await http.get(
        "/jans-auth/restv1/authorize?client_id=nobody&response_type=code",
        headers={"Accept-Language": "de"},
    )
    assert page.status_code == 400
    assert "Etwas ist schiefgelaufen" in page.text
    code = re.search(r'id="error-code">([a-z_]+)<', page.text)
    assert code is not None
    assert i18n.translations("de").gettext(error_texts.MESSAGES[code.group(1)]) in page.text
    assert '<span lang="en">' in page.text  # the English detail is marked as English


@SQLITE_ONLY
async def test_api_errors_stay_english(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/jans-auth/restv1/token",
        data={"grant_type": "authorization_code"},
        headers={"Accept-Language": "de"},
    )
    body = response.json()
    assert response.status_code == 401 and body["error"] == "invalid_client"
    assert body["error_description"].isascii()
    assert "content-language" not in response.headers


@SQLITE_ONLY
async def test_branding_is_rendered(http: httpx.AsyncClient, flow: Flow, runtime: Runtime) -> None:
    await patch_config(
        runtime,
        brandName="Example Corp",
        brandLogoUri="https://cdn.example.com/logo.svg",
        brandPrimaryColor="#7a1f5c",
        brandSupportUri="/help",
    )
    page = await _login_page(http, flow)
    assert "<title>Sign in - Example Corp</title>" in page.text
    assert 'src="https://cdn.example.com/logo.svg"' in page.text
    assert "--brand: #7a1f5c" in page.text
    assert 'href="/help" id="support-link"' in page.text
    csp = page.headers["content-security-policy"]
    assert "img-src 'self' data: https://cdn.example.com" in csp
    # the only script is the passkey script, from this origin
    assert "script-src 'self';" in csp and "unsafe-inline'; img" in csp


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("brandPrimaryColor", "blue"),
        ("brandPrimaryColor", "#fff"),
        ("brandPrimaryColor", "#ffeeaa"),  # white text on it: 1.2:1
        ("brandLogoUri", "http://example.com/logo.png"),
        ("brandLogoUri", "//evil.example/logo.png"),
        ("brandLogoUri", "javascript:alert(1)"),
        ("brandSupportUri", "https://ex ample.com"),
        ("uiLocalesSupported", ["en", "fr"]),
        ("uiLocalesSupported", []),
        ("uiLocaleDefault", "fr"),
    ],
)
def test_branding_and_languages_are_validated(member: str, value: object) -> None:
    with pytest.raises(ValidationError, match=member):
        AppConfiguration.model_validate({member: value})


def test_accept_language_parsing() -> None:
    assert i18n.parse_accept_language("en;q=0.5, de, fr;q=0.8") == ["de", "fr", "en"]
    assert i18n.parse_accept_language("de;q=0, en") == ["en"]
    assert i18n.parse_accept_language("de;level=1, en") == ["en"]
    assert i18n.parse_accept_language(None) == []
    assert i18n.negotiate(["de-CH"], ["en", "de"]) == "de"
    assert i18n.negotiate(["EN_us"], ["en", "de"]) == "en"
    assert i18n.negotiate(["*", "xx"], ["en", "de"]) is None


@SQLITE_ONLY
async def test_logout_pages_take_ui_locales(http: httpx.AsyncClient) -> None:
    """RP-Initiated Logout 1.0 §2: ``ui_locales`` at the logout endpoint."""
    german = await http.get("/jans-auth/restv1/end_session?ui_locales=de")
    assert german.status_code == 200 and "Sie sind abgemeldet" in german.text
    english = await http.get(
        "/jans-auth/restv1/end_session?ui_locales=en", headers={"Accept-Language": "de"}
    )
    assert '<html lang="en">' in english.text and "You are signed out" in english.text
