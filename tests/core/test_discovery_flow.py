"""Discovery (``core.discovery.document``) on memory services, called as the well-known
endpoint calls it: the document follows the configuration switches and the key ring."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.appconfig import AppConfiguration
from authgate.core import discovery
from authgate.core.ports import Services
from authgate.crypto.keys import KeyRing
from tests.memory import StaticConfig, make_services, signing_keys
from tests.support import FakeClock


async def _document(svc: Services) -> dict[str, Any]:
    return discovery.document(
        svc.issuer, svc.config.current, await svc.scopes.all(), svc.keys.algorithms
    )


async def test_defaults() -> None:
    svc = make_services()
    doc = await _document(svc)
    assert doc["issuer"] == svc.issuer
    assert doc["token_endpoint"] == svc.issuer + "/jans-auth/restv1/token"
    assert doc["registration_endpoint"] == svc.issuer + "/jans-auth/restv1/register"
    assert doc["grant_types_supported"] == [
        "authorization_code",
        "implicit",
        "refresh_token",
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:device_code",
    ]
    assert doc["device_authorization_endpoint"] == (
        svc.issuer + "/jans-auth/restv1/device_authorization"
    )
    assert doc["code_challenge_methods_supported"] == ["S256", "plain"]
    assert doc["scopes_supported"] == ["email", "offline_access", "openid", "profile"]
    assert "email_verified" in doc["claims_supported"]
    assert doc["token_endpoint_auth_signing_alg_values_supported"] == (
        svc.config.current.tokenEndpointAuthSigningAlgValuesSupported
    )
    assert doc["authorization_response_iss_parameter_supported"] is True


async def test_signing_algorithms_need_a_key() -> None:
    rs256 = [k for k in signing_keys() if k.alg == "RS256"]
    svc = make_services(keys=KeyRing(rs256, FakeClock().now))
    doc = await _document(svc)
    assert svc.config.current.idTokenSigningAlgValuesSupported == ["RS256", "ES256", "PS256"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["access_token_signing_alg_values_supported"] == ["RS256"]


@pytest.mark.parametrize(
    ("changes", "member", "expected"),
    [
        ({"dynamicRegistrationEnabled": False}, "registration_endpoint", None),
        ({"implicitFlowEnabled": False}, "response_types_supported", ["code"]),
        (
            {"oauth21ProfileEnabled": True},
            "grant_types_supported",
            [
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:device_code",
            ],
        ),
        ({"oauth21ProfileEnabled": True}, "code_challenge_methods_supported", ["S256"]),
        ({"oauth21ProfileEnabled": True}, "response_types_supported", ["code"]),
        (
            {"authorizationResponseIssParameterSupported": False},
            "authorization_response_iss_parameter_supported",
            False,
        ),
        ({"codeChallengeMethodsSupported": ["S256"]}, "code_challenge_methods_supported", ["S256"]),
        ({"requirePar": True}, "require_pushed_authorization_requests", True),
        (
            {"tokenEndpointAuthMethodsSupported": ["client_secret_basic", "none"]},
            "token_endpoint_auth_signing_alg_values_supported",
            None,
        ),
        (
            {"tokenEndpointAuthMethodsSupported": ["client_secret_basic", "none"]},
            "introspection_endpoint_auth_methods_supported",
            ["client_secret_basic"],
        ),
    ],
)
async def test_switches_change_the_document(
    changes: dict[str, Any], member: str, expected: Any
) -> None:
    config = StaticConfig()
    svc = make_services(config=config)
    before = await _document(svc)
    config.update(**changes)
    after = await _document(svc)
    assert after.get(member) == expected
    assert before.get(member) != expected


async def test_the_oauth21_profile_overrides_the_iss_switch() -> None:
    config = StaticConfig(AppConfiguration(authorizationResponseIssParameterSupported=False))
    svc = make_services(config=config)
    assert (await _document(svc))["authorization_response_iss_parameter_supported"] is False
    config.update(oauth21ProfileEnabled=True)
    assert (await _document(svc))["authorization_response_iss_parameter_supported"] is True
