"""The device cookie: signed tokens naming a browser for a user, checked without storage."""

from __future__ import annotations

from authgate.core.protection import device
from tests.memory import StaticConfig, advance, make_services


def test_a_token_is_valid_for_its_user_only() -> None:
    svc = make_services()
    cookie = device.remember(None, "user-1", svc)
    assert cookie is not None
    trusted = device.trusted(cookie, "user-1", svc)
    assert trusted is not None and trusted in cookie
    assert device.trusted(cookie, "user-2", svc) is None
    assert "user-1" not in cookie  # the token names no user


def test_renewal_keeps_the_device_id_and_other_users_tokens() -> None:
    svc = make_services()
    first = device.remember(None, "user-1", svc)
    advance(svc, 10)
    shared = device.remember(first, "user-2", svc)
    renewed = device.remember(shared, "user-1", svc)
    assert renewed is not None
    assert device.trusted(renewed, "user-1", svc) == device.trusted(first, "user-1", svc)
    assert device.trusted(renewed, "user-2", svc) == device.trusted(shared, "user-2", svc)
    assert renewed.split("~")[0] != (first or "").split("~")[0]  # a new issue time
    crowded: str | None = renewed
    for i in range(3, 9):
        crowded = device.remember(crowded, f"user-{i}", svc)
    assert crowded is not None and len(crowded.split("~")) == device.MAX_TOKENS
    assert device.trusted(crowded, "user-1", svc) is None  # the oldest users drop out


def test_tokens_expire_and_tampering_is_refused() -> None:
    svc = make_services()
    cookie = device.remember(None, "user-1", svc)
    assert cookie is not None
    issued, device_id, mac = cookie.split(".")
    for forged in (
        f"{issued}.other-device.{mac}",
        f"{int(issued, 16) + 1:x}.{device_id}.{mac}",
        f"{issued}.{device_id}.{mac[:-2]}AA",
        "garbage",
        "a.b.c",
        "zz.b.c",
        "é.é.é",
        "",
    ):
        assert device.trusted(forged, "user-1", svc) is None
    lifetime = svc.config.current.authenticationProtectionConfiguration.deviceCookieLifetime
    advance(svc, lifetime - 1)
    assert device.trusted(cookie, "user-1", svc) is not None
    advance(svc, 1)
    assert device.trusted(cookie, "user-1", svc) is None


def test_switched_off_no_cookie_is_set_or_trusted() -> None:
    svc = make_services()
    cookie = device.remember(None, "user-1", svc)
    config = StaticConfig(svc.config.current)  # the same signing secret
    config.update(authenticationProtectionConfiguration={"deviceCookieEnabled": False})
    off = make_services(config=config)
    assert device.remember(None, "user-1", off) is None
    assert device.trusted(cookie, "user-1", off) is None
