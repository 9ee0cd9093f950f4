"""The claims request (OIDC Core §5.5): selecting released claims for the id_token and
userinfo, value filters, omitted claims, and the acr values it adds to acr_values."""

from __future__ import annotations

import pytest

from authgate.core.authorize import claims_request
from authgate.core.authorize.claims_request import AcrRequest
from authgate.errors import InvalidRequest

RELEASED = {"email": "alice@example.com", "email_verified": True, "name": "Alice"}


def _claims(raw: str) -> str:
    normalised = claims_request.normalise(raw)
    assert normalised is not None
    return normalised


def test_select_takes_only_what_the_target_names() -> None:
    claims = _claims('{"id_token": {"email": {"essential": true}}, "userinfo": {"name": null}}')
    assert claims_request.select(claims, "id_token", RELEASED) == {"email": "alice@example.com"}
    assert claims_request.select(claims, "userinfo", RELEASED) == {"name": "Alice"}


def test_a_claim_not_released_is_omitted_even_when_essential() -> None:
    """The user has no phone number (or no scope releases it): omitted, not an error."""
    claims = _claims('{"id_token": {"phone_number": {"essential": true}, "email": null}}')
    assert claims_request.select(claims, "id_token", RELEASED) == {"email": "alice@example.com"}


def test_protocol_claims_are_never_taken_from_user_claims() -> None:
    claims = _claims('{"id_token": {"sub": {"value": "x"}, "acr": null, "email": null}}')
    assert claims_request.select(claims, "id_token", {**RELEASED, "sub": "x"}) == {
        "email": "alice@example.com"
    }


@pytest.mark.parametrize(
    ("spec", "kept"),
    [
        ('{"value": "alice@example.com"}', True),
        ('{"value": "bob@example.com"}', False),
        ('{"values": ["a@example.com", "alice@example.com"]}', True),
        ('{"values": []}', False),
    ],
)
def test_value_filters(spec: str, kept: bool) -> None:
    claims = _claims(f'{{"userinfo": {{"email": {spec}}}}}')
    selected = claims_request.select(claims, "userinfo", RELEASED)
    assert ("email" in selected) is kept
    restricted = claims_request.restricted(claims, "userinfo", RELEASED)
    assert ("email" in restricted) is kept
    assert restricted["name"] == "Alice"  # claims the request does not name stay


def test_no_claims_request() -> None:
    assert claims_request.select(None, "id_token", RELEASED) == {}
    assert claims_request.restricted(None, "userinfo", RELEASED) == RELEASED
    assert claims_request.normalise(None) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            '{"id_token": {"acr": {"essential": true, "value": "urn:gold"}}}',
            AcrRequest(("urn:gold",), True),
        ),
        ('{"id_token": {"acr": {"values": ["urn:a", "urn:b"]}}}', AcrRequest(("urn:a", "urn:b"))),
        ('{"id_token": {"acr": null}}', AcrRequest()),
        ('{"userinfo": {"acr": {"value": "urn:a"}}}', AcrRequest()),
    ],
)
def test_requested_acr(raw: str, expected: AcrRequest) -> None:
    assert claims_request.requested_acr(_claims(raw)) == expected


def test_merged_acr_values_keep_acr_values_first_without_duplicates() -> None:
    claims = _claims('{"id_token": {"acr": {"values": ["urn:b", "urn:c"]}}}')
    assert claims_request.merged_acr_values(("urn:a", "urn:b"), claims) == (
        "urn:a",
        "urn:b",
        "urn:c",
    )


def test_decoded_object_from_a_request_object() -> None:
    assert claims_request.normalise({"userinfo": {"email": None}}) == '{"userinfo":{"email":null}}'


def test_too_long() -> None:
    with pytest.raises(InvalidRequest):
        claims_request.normalise('{"userinfo": {"x": null}}' + " " * 9000)
