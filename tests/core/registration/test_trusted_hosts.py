"""dynamicRegistrationTrustedHosts: which hosts match, which URIs are checked, the errors, and
that an untrusted sector_identifier_uri is never fetched."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from authgate.appconfig import AppConfiguration
from authgate.core.registration import management
from authgate.core.registration.endpoint import register
from authgate.core.registration.trusted_hosts import host_trusted
from authgate.errors import InvalidClientMetadata, InvalidRedirectUri
from tests.memory import StaticConfig, make_services
from tests.memory.doubles import StaticSectorIdentifiers
from tests.support import flow_registration_body

TRUSTED = ["app.example.com", "*.example.org", "127.0.0.1", "::1"]
WEB = "https://app.example.com/cb"


@pytest.mark.parametrize(
    ("host", "trusted"),
    [
        ("app.example.com", True),
        ("api.example.com", False),
        ("example.com", False),
        ("a.example.org", True),
        ("a.b.example.org", True),
        ("example.org", False),
        ("evilexample.org", False),
        ("example.org.evil.test", False),
        ("127.0.0.1", True),
        ("127.0.0.2", False),
        ("::1", True),
        (None, False),
        ("", False),
    ],
)
def test_host_matching(host: str | None, trusted: bool) -> None:
    config = AppConfiguration(dynamicRegistrationTrustedHosts=TRUSTED)
    assert host_trusted(host, config.dynamicRegistrationTrustedHosts) is trusted


def test_entries_are_normalised() -> None:
    config = AppConfiguration(
        dynamicRegistrationTrustedHosts=["App.Example.COM", " *.Example.org ", "0:0::1", "::1"]
    )
    assert config.dynamicRegistrationTrustedHosts == ["app.example.com", "*.example.org", "::1"]


@pytest.mark.parametrize(
    "entry",
    ["https://app.example.com", "app.example.com:443", "app.example.com/cb", "*", "*.", "a.*.com",
     "", "exa mple.com", "-bad.example.com"],
)  # fmt: skip
def test_malformed_entries_are_refused(entry: str) -> None:
    with pytest.raises(ValidationError, match="dynamicRegistrationTrustedHosts"):
        AppConfiguration(dynamicRegistrationTrustedHosts=[entry])


def _services(*hosts: str) -> Any:
    sectors = StaticSectorIdentifiers()
    config = StaticConfig(AppConfiguration(dynamicRegistrationTrustedHosts=list(hosts)))
    return make_services(config=config, sector_identifiers=sectors), sectors


def _body(**members: Any) -> dict[str, Any]:
    return flow_registration_body(WEB) | members


async def test_an_empty_list_trusts_every_host() -> None:
    svc, _ = _services()
    registered = await register(_body(redirect_uris=["https://anywhere.test/cb"]), svc)
    assert registered.client.metadata.redirect_uris == ("https://anywhere.test/cb",)


async def test_uris_on_trusted_hosts_are_registered() -> None:
    svc, _ = _services("app.example.com", "*.example.org")
    body = _body(
        redirect_uris=[WEB, "https://login.example.org/cb"],
        post_logout_redirect_uris=["https://app.example.com/bye"],
        backchannel_logout_uri="https://api.example.org/logout",
        frontchannel_logout_uri="https://app.example.com/fc",
        jwks_uri="https://keys.example.org/jwks",
        token_endpoint_auth_method="private_key_jwt",
        subject_type="public",
        logo_uri="https://cdn.elsewhere.test/logo.png",  # informational: not checked
    )
    registered = await register(body, svc)
    assert registered.client.metadata.jwks_uri == "https://keys.example.org/jwks"


async def test_a_redirect_uri_elsewhere_is_invalid_redirect_uri() -> None:
    svc, _ = _services("app.example.com")
    body = _body(redirect_uris=[WEB, "https://evil.test/cb"], subject_type="public")
    with pytest.raises(InvalidRedirectUri) as refused:
        await register(body, svc)
    assert "'https://evil.test/cb' is not on a host trusted" in refused.value.description


async def test_a_private_use_scheme_has_no_trusted_host() -> None:
    svc, _ = _services("app.example.com")
    body = _body(application_type="native", redirect_uris=["com.example.app:/cb"])
    with pytest.raises(InvalidRedirectUri, match="dynamicRegistrationTrustedHosts"):
        await register(body, svc)


@pytest.mark.parametrize(
    ("members", "named"),
    [
        ({"post_logout_redirect_uris": ["https://evil.test/bye"]}, "post_logout_redirect_uris"),
        ({"backchannel_logout_uri": "https://evil.test/bc"}, "backchannel_logout_uri"),
        ({"frontchannel_logout_uri": "https://evil.test/fc"}, "frontchannel_logout_uri"),
        (
            {"jwks_uri": "https://evil.test/jwks", "token_endpoint_auth_method": "private_key_jwt"},
            "jwks_uri",
        ),
    ],
    ids=["post-logout", "backchannel", "frontchannel", "jwks-uri"],
)
async def test_other_uris_elsewhere_are_invalid_client_metadata(
    members: dict[str, Any], named: str
) -> None:
    svc, _ = _services("app.example.com")
    with pytest.raises(InvalidClientMetadata, match=f"Parameter {named} is not valid"):
        await register(_body(**members), svc)


async def test_an_untrusted_sector_identifier_uri_is_never_fetched() -> None:
    svc, sectors = _services("app.example.com")
    sectors.publish("https://evil.test/sector.json", [WEB])
    with pytest.raises(InvalidClientMetadata, match="Parameter sector_identifier_uri"):
        await register(_body(sector_identifier_uri="https://evil.test/sector.json"), svc)
    assert sectors.fetched == []


async def test_an_update_leaving_the_trusted_hosts_is_refused() -> None:
    svc, _ = _services("app.example.com")
    registered = await register(_body(), svc)
    client = await management.configured_client(
        registered.client.client_id, registered.registration_access_token, svc
    )
    with pytest.raises(InvalidRedirectUri):
        await management.update(client, _body(redirect_uris=["https://evil.test/cb"]), svc)
    unchanged = await svc.clients.get(client.client_id)
    assert unchanged is not None and unchanged.metadata.redirect_uris == (WEB,)
