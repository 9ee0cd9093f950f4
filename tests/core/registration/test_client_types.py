"""The grant and response types a registered client ends up with (RFC 7591 §2): what it asked
for (each checked), defaults for what it left out, and the autofix where the server allows it.
A value the server will not give is refused, never dropped."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.appconfig import AppConfiguration
from authgate.core.registration.client_types import resolve_types
from authgate.errors import InvalidClientMetadata

CONFIG = AppConfiguration()
CODE_FLOW = (("refresh_token", "authorization_code"), ("code",))
IMPLICIT_AND_CODE = (
    ("implicit", "refresh_token", "authorization_code"),
    ("code", "token", "id_token"),
)
NO_AUTOFIX = {"grantTypesAndResponseTypesAutofixEnabled": False}


@pytest.mark.parametrize(
    ("grants", "responses", "update", "expected"),
    [
        # nothing asked: a code client with refresh tokens
        ([], [], {}, CODE_FLOW),
        (["authorization_code"], ["code"], {}, CODE_FLOW),
        # a token-returning response type brings the implicit grant, which brings token
        ([], ["id_token"], {}, IMPLICIT_AND_CODE),
        # implicit alone: no code response type was asked for, so none is added
        (["implicit"], [], {}, (("implicit",), ("token",))),
        # hybrid values count by their parts
        (["implicit"], ["code id_token"], {}, IMPLICIT_AND_CODE),
        # without autofix the request is taken as it is
        (["authorization_code"], ["code"], NO_AUTOFIX, (("authorization_code",), ("code",))),
        (["implicit"], ["token"], NO_AUTOFIX, (("implicit",), ("token",))),
        (
            ["authorization_code"],
            ["code"],
            {"clientRegDefaultToCodeFlowWithRefresh": False},
            (("authorization_code",), ("code",)),
        ),
    ],
)
def test_resolve_types(
    grants: list[str],
    responses: list[str],
    update: dict[str, Any],
    expected: tuple[tuple[str, ...], tuple[str, ...]],
) -> None:
    config = CONFIG.model_copy(update=update)
    assert resolve_types(grants, responses, config, confidential=False) == expected
    assert resolve_types(grants, responses, config, confidential=True) == expected


def test_a_confidential_client_may_register_client_credentials_alone() -> None:
    assert resolve_types(["client_credentials"], [], CONFIG, confidential=True) == (
        ("client_credentials",),
        (),
    )


@pytest.mark.parametrize(
    ("grants", "responses", "update", "confidential", "message"),
    [
        (["bogus"], [], {}, True, "'bogus' is not a grant type this server implements"),
        (["password"], [], {}, True, "'password' is not a grant type this server implements"),
        (["client_credentials"], [], {}, False, "'client_credentials' is only for confidential"),
        (
            [],
            ["code id_token"],
            {"implicitFlowEnabled": False},
            False,
            "'code id_token' is not served by this server",
        ),
        ([], ["token"], {"oauth21ProfileEnabled": True}, False, "'token' is not served"),
        ([], ["code"], {"responseTypesSupported": ["token"]}, False, "'code' is not served"),
    ],
    ids=["unknown", "password", "public-cc", "implicit-off", "oauth21", "not-supported"],
)
def test_what_the_server_will_not_give_is_refused_by_name(
    grants: list[str],
    responses: list[str],
    update: dict[str, Any],
    confidential: bool,
    message: str,
) -> None:
    with pytest.raises(InvalidClientMetadata, match=message) as raised:
        resolve_types(
            grants, responses, CONFIG.model_copy(update=update), confidential=confidential
        )
    assert raised.value.description.startswith("Parameter ")
