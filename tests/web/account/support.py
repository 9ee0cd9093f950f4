"""Signing in to the account page over HTTP, through the real login form."""

from __future__ import annotations

import re

import httpx

from tests.support import PASSWORD, USERNAME, hidden_form


async def sign_in(
    http: httpx.AsyncClient, path: str = "/account", *, username: str = USERNAME
) -> httpx.Response:
    """Follow /account's sign-in through the login page (when one is shown) back to ``path``;
    returns the account page."""
    response = await http.get(path)
    for _ in range(8):
        if response.status_code in (302, 303):
            response = await http.get(response.headers["location"])
            continue
        if 'id="continue"' in response.text:  # the callback's page
            match = re.search(
                r'id="continue" *href="([^"]+)"|href="([^"]+)" id="continue"', response.text
            )
            assert match is not None
            response = await http.get(match.group(1) or match.group(2))
            continue
        if 'action="/jans-auth/login.htm"' in response.text:
            action, fields = hidden_form(response.text)
            fields |= {"username": username, "password": PASSWORD}
            response = await http.post(action, data=fields)
            continue
        return response
    raise AssertionError("too many steps signing in to the account page")


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)
