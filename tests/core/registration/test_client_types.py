"""The grant and response types a registered client ends up with (RFC 7591 §2.1): autofix
first, then what the server has enabled."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.appconfig import AppConfiguration
from authgate.core.registration.client_types import resolve_types

CONFIG = AppConfiguration()
CODE_FLOW = (("refresh_token", "authorization_code"), ("code",))
NO_AUTOFIX = {"grantTypesAndResponseTypesAutofixEnabled": False}
PASSWORD_ALLOWED = {
    "grantTypesSupported": ["password", "authorization_code"],
    "grantTypesSupportedByDynamicRegistration": ["password", "authorization_code"],
}


@pytest.mark.parametrize(
    ("grants", "responses", "update", "expected"),
    [
        # nothing asked: a code client with refresh tokens
        ([], [], {}, CODE_FLOW),
        (["authorization_code"], ["code"], {}, CODE_FLOW),
        # unknown types are dropped before the defaults apply
        (["bogus"], ["device"], {}, CODE_FLOW),
        # a token-returning response type brings the implicit grant, which brings token
        (
            [],
            ["id_token"],
            {},
            (("implicit", "refresh_token", "authorization_code"), ("code", "token", "id_token")),
        ),
        (
            ["implicit"],
            [],
            {},
            (("implicit", "refresh_token", "authorization_code"), ("code", "token")),
        ),
        # hybrid values count by their parts
        (
            ["implicit"],
            ["code id_token"],
            {},
            (("implicit", "refresh_token", "authorization_code"), ("code", "token", "id_token")),
        ),
        # without autofix the request is taken as it is, minus what the server refuses
        (["authorization_code"], ["code"], NO_AUTOFIX, (("authorization_code",), ("code",))),
        (["implicit"], ["token"], NO_AUTOFIX, (("implicit",), ("token",))),
        (
            ["authorization_code"],
            ["code"],
            {"clientRegDefaultToCodeFlowWithRefresh": False},
            (("authorization_code",), ("code",)),
        ),
        # server policy removes what cannot work
        ([], ["code id_token"], {"implicitFlowEnabled": False}, CODE_FLOW),
        ([], ["token"], {"oauth21ProfileEnabled": True}, CODE_FLOW),
        (["client_credentials"], [], {}, CODE_FLOW),
        (
            ["client_credentials"],
            [],
            {"grantTypesSupportedByDynamicRegistration": ["client_credentials"]},
            # the default response type stays, unusable without the authorization_code grant
            (("client_credentials",), ("code",)),
        ),
        (["password"], [], PASSWORD_ALLOWED, (("authorization_code", "password"), ("code",))),
        (
            ["password"],
            [],
            {**PASSWORD_ALLOWED, "oauth21ProfileEnabled": True},
            (
                ("authorization_code",),
                ("code",),
            ),
        ),
        ([], ["code"], {"responseTypesSupported": ["token"]}, (CODE_FLOW[0], ())),
    ],
)
def test_resolve_types(
    grants: list[str],
    responses: list[str],
    update: dict[str, Any],
    expected: tuple[tuple[str, ...], tuple[str, ...]],
) -> None:
    assert resolve_types(grants, responses, CONFIG.model_copy(update=update)) == expected
