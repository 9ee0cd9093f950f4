"""The scanner of tests/test_no_secrets_in_output.py finds what it must: each form of a
secret, anywhere but its one-time display, and names it without showing it."""

from __future__ import annotations

import base64
from urllib.parse import quote_plus

from authgate.crypto.keys import generate_key
from tests.secret_scan import (
    Output,
    Secret,
    client_secret,
    find_leaks,
    jwt_secret,
    one_time_displays,
    private_key_secrets,
)

PASSWORD = "pass word &known-1"
SECRET = "ClientSecret-known-2Bc"


def leaks_in(text: str, *, announces: bool = False) -> list[str]:
    outputs = [Output("out", text, announces_secret=announces)]
    secrets = [client_secret("client secret", "rp", SECRET)]
    return find_leaks(outputs, secrets, one_time_displays(outputs))


def test_each_form_of_a_secret_is_found_and_never_shown() -> None:
    basic = base64.b64encode(f"rp:{SECRET}".encode()).decode()
    for text in (SECRET, quote_plus(SECRET), f"Authorization: Basic {basic}"):
        found = leaks_in(f"INFO {text}.")
        masked = text.replace(basic, "<client secret>").replace(
            quote_plus(SECRET), "<client secret>"
        )
        assert found == [f"client secret in out, line 1: INFO {masked}."]
        assert SECRET not in found[0] and basic not in found[0]
    password = Output("log", f"POST body username=a&password={quote_plus(PASSWORD)}")
    assert find_leaks([password], [Secret("password", PASSWORD)], {}) != []


def test_one_time_display_allows_the_secret_on_its_line_only() -> None:
    first_start = (
        "First start: created user 'admin' with password 'Gen3rated-pw'\n"
        "(shown once; change it with `authgate users set-password admin`)\n"
    )
    outputs = [Output("serve", first_start + "later: Gen3rated-pw\n")]
    displays = one_time_displays(outputs)
    assert displays == {"Gen3rated-pw": [("serve", 1)]}
    assert find_leaks(outputs, [Secret("admin password", "Gen3rated-pw")], displays) == [
        "admin password in serve, line 3: later: <admin password>"
    ]
    # the same line without the label is no display
    assert one_time_displays([Output("x", "created user 'a' with password 'Gen3rated-pw'")]) == {}


def test_a_new_client_secret_is_a_display_only_where_the_command_announced_it() -> None:
    printed = f'{{\n  "client_id": "rp",\n  "client_secret": "{SECRET}",\n}}'
    assert leaks_in(printed, announces=True) == []
    assert len(leaks_in(printed, announces=False)) == 1


def test_private_keys_are_found_by_pem_line_and_jwk_member() -> None:
    for alg in ("RS256", "ES256"):
        key = generate_key(alg, created_at=0)
        secrets = private_key_secrets("key", key.private_pem)
        labels = {s.label for s in secrets}
        assert "key (JWK d)" in labels
        assert ("key (JWK qi)" in labels) == (alg == "RS256")
        d = next(s.value for s in secrets if s.label == "key (JWK d)")
        body_line = key.private_pem.strip().splitlines()[2]
        for text in (f"d={d}", f"...{body_line}... (truncated)"):
            assert find_leaks([Output("log", text)], secrets, {}) != []


def test_a_jwt_is_found_by_its_signature_alone() -> None:
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
    cut = "eyJhbGciOiJSUzI1NiJ9.eyJzdW [...] c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
    assert find_leaks([Output("log", cut)], [jwt_secret("id_token", token)], {}) != []
