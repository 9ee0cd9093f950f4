"""RFC 9396 ``authorization_details``: which types a client may use, the normalised form that
is stored, and how the consent page lists a detail (the checks of each detail are in
tests/web/test_authorization_details.py)."""

from __future__ import annotations

import json

import pytest

from authgate.core.authorize import authorization_details as details
from authgate.errors import InvalidAuthorizationDetails

SERVER = ["payment_initiation", "account_information"]


def test_a_clients_types_narrow_the_servers() -> None:
    assert details.allowed_types((), SERVER) == SERVER
    assert details.allowed_types(("account_information",), SERVER) == ["account_information"]
    # a type the server no longer lists is not usable, whatever the client registered
    assert details.allowed_types(("photo_printing",), SERVER) == []


def test_normalised_compact_json_keeps_members_and_order() -> None:
    raw = '[ {"type": "account_information", "actions": ["read"], "x": {"b": 1, "a": "é"}} ]'
    normalised = details.parse(raw, SERVER)
    assert normalised == '[{"type":"account_information","actions":["read"],"x":{"b":1,"a":"é"}}]'
    assert details.loaded(normalised) == json.loads(raw)
    assert details.parse(None, SERVER) is None
    assert details.loaded(None) is None


def test_refused_when_the_server_takes_none_or_the_value_is_too_long() -> None:
    with pytest.raises(InvalidAuthorizationDetails, match="not supported by this server"):
        details.parse('[{"type": "account_information"}]', [])
    long = json.dumps([{"type": "account_information", "note": "x" * details.MAX_LENGTH}])
    with pytest.raises(InvalidAuthorizationDetails, match="longer than 8192 characters"):
        details.parse(long, SERVER)


def test_how_the_consent_page_lists_a_detail() -> None:
    normalised = details.parse(
        json.dumps(
            [
                {
                    "type": "payment_initiation",
                    "actions": ["initiate", "status"],
                    "identifier": "order-7",
                    "instructedAmount": {"currency": "EUR", "amount": "1.00"},
                },
                {"type": "account_information"},
            ]
        ),
        SERVER,
    )
    assert details.shown(normalised) == [
        (
            "payment_initiation",
            [
                ("actions", "initiate, status"),
                ("identifier", "order-7"),
                ("instructedAmount", '{"currency":"EUR","amount":"1.00"}'),
            ],
        ),
        ("account_information", []),
    ]
    assert details.shown(None) == []


def test_a_token_request_narrows_to_whole_details_the_grant_holds() -> None:
    granted = details.parse(
        '[{"type": "account_information", "actions": ["read"], "identifier": "DE02"},'
        ' {"type": "payment_initiation", "amount": {"currency": "EUR", "value": "1.00"}}]',
        SERVER,
    )
    # member order within a detail does not matter; the details asked for, in their order
    asked = (
        '[{"amount": {"value": "1.00", "currency": "EUR"}, "type": "payment_initiation"},'
        ' {"identifier": "DE02", "actions": ["read"], "type": "account_information"}]'
    )
    narrowed = details.narrowed({"authorization_details": asked}, granted)
    assert [d["type"] for d in details.loaded(narrowed) or []] == [
        "payment_initiation",
        "account_information",
    ]
    for other in (
        '[{"type": "account_information", "actions": ["read", "write"], "identifier": "DE02"}]',
        '[{"type": "account_information", "actions": ["read"]}]',
        '[{"type": "photo_printing"}]',
    ):
        with pytest.raises(InvalidAuthorizationDetails):
            details.narrowed({"authorization_details": other}, granted)
    with pytest.raises(InvalidAuthorizationDetails, match="authorized without any"):
        details.narrowed({"authorization_details": '[{"type": "account_information"}]'}, None)
    assert details.narrowed({}, granted) is None
