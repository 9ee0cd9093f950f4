"""The password policy and the sign-up fields (core/selfservice/policy.py)."""

from __future__ import annotations

import pytest

from authgate.appconfig import AppConfiguration
from authgate.core.selfservice import policy
from authgate.core.selfservice.policy import Refused

CONFIG = AppConfiguration()


def test_the_bundled_list_holds_ten_thousand_common_passwords() -> None:
    common = policy.common_passwords()
    assert len(common) == 10_000
    assert {"123456", "password", "qwerty123456", "1qaz2wsx3edc"} <= common


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("eleven char", "at least 12"),
        ("x" * (policy.MAX_PASSWORD + 1), "at most"),
        ("QWERTY123456", "most common"),
        ("Alice@Example.com", "username or email"),
        ("alice-the-user", "username or email"),
    ],
)
def test_refused_passwords(password: str, why: str) -> None:
    with pytest.raises(Refused) as refused:
        policy.check_password(
            password, CONFIG, username="alice-the-user", email="alice@example.com"
        )
    assert why in refused.value.message
    assert refused.value.field == "password"


@pytest.mark.parametrize(
    "password",
    ["twelve chars", "no rules, just length", "ünïcødé pässwörd", "x" * policy.MAX_PASSWORD],
)
def test_accepted_passwords_need_no_composition(password: str) -> None:
    policy.check_password(password, CONFIG, username="alice", email="alice@example.com")


def test_the_minimum_length_is_configurable() -> None:
    config = AppConfiguration(selfServicePasswordMinLength=15)
    with pytest.raises(Refused):
        policy.check_password("fourteen chars", config)
    policy.check_password("fifteen chars!!", config)


@pytest.mark.parametrize("value", ["", "  ", "a b", "tab\there", "nul\x00", "x" * 256])
def test_refused_usernames(value: str) -> None:
    with pytest.raises(Refused):
        policy.check_username(value)


def test_usernames_are_trimmed_and_may_be_addresses() -> None:
    assert policy.check_username("  bob ") == "bob"
    assert policy.check_username("bob@example.com") == "bob@example.com"


@pytest.mark.parametrize(
    "value", ["", "bob", "bob@", "@example.com", "bob@localhost", "a b@example.com", "x@y."]
)
def test_refused_addresses(value: str) -> None:
    with pytest.raises(Refused):
        policy.check_email(value)


def test_an_address_is_trimmed() -> None:
    assert policy.check_email(" Bob@Example.com ") == "Bob@Example.com"
