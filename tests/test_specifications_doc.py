"""docs/specifications.md: every specification asked about has a row with a known status, and
the rows about advertised capabilities agree with discovery (a capability is advertised
exactly when its row says "supported")."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from authgate.appconfig import AppConfiguration
from authgate.appconfig_resources import TOKEN_EXCHANGE
from authgate.core import discovery
from authgate.runtime import STANDARD_SCOPES
from tests.support import ISSUER

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "specifications.md"
STATUSES = {"supported", "partial", "not supported", "in progress"}
ROW = re.compile(r"^\| (?P<spec>[^|]+?) \| (?P<status>[a-z ]+) \|(?P<notes>.*)\|$")

#: A word or phrase that names each specification the table must cover, in its first column.
REQUIRED = (
    "OAuth 2.1",
    "RFC 6749",
    "RFC 6750",
    "RFC 7636",
    "RFC 7591",
    "RFC 7592",
    "RFC 7009",
    "RFC 7662",
    "RFC 8414",
    "RFC 9126",
    "RFC 9207",
    "RFC 9449",
    "RFC 9700",
    "RFC 8252",
    "RFC 7523",
    "RFC 8628",
    "RFC 8693",
    "RFC 8707",
    "RFC 9101",
    "RFC 9701",
    "OpenID Connect Core",
    "OpenID Connect Discovery",
    "Dynamic Client Registration 1.0",
    "RP-Initiated Logout",
    "Back-Channel Logout",
    "Front-Channel Logout",
    "Session Management",
    "prompt=create",
    "RFC 6238",
    "WebAuthn",
    "RFC 8176",
    "JARM",
    "RFC 9396",
)

Doc = dict[str, Any]
#: Rows whose capability discovery advertises (or not): the check says whether it is.
ADVERTISED: dict[str, Callable[[Doc], bool]] = {
    "RFC 8628": lambda d: "device_authorization_endpoint" in d,
    "RFC 8693": lambda d: any("token-exchange" in g for g in d["grant_types_supported"]),
    "RFC 9101": lambda d: bool(d["request_parameter_supported"]),
    "RFC 9701": lambda d: "introspection_signing_alg_values_supported" in d,
    "RFC 9126": lambda d: "pushed_authorization_request_endpoint" in d,
    "RFC 9449": lambda d: bool(d.get("dpop_signing_alg_values_supported")),
    "RFC 7591": lambda d: "registration_endpoint" in d,
    "RFC 7009": lambda d: "revocation_endpoint" in d,
    "RFC 7662": lambda d: "introspection_endpoint" in d,
    "RFC 9207": lambda d: bool(d["authorization_response_iss_parameter_supported"]),
    "RFC 8705": lambda d: "tls_client_auth" in d["token_endpoint_auth_methods_supported"],
    "Front-Channel Logout": lambda d: bool(d["frontchannel_logout_supported"]),
    "Back-Channel Logout": lambda d: bool(d["backchannel_logout_supported"]),
    "RP-Initiated Logout": lambda d: "end_session_endpoint" in d,
    "Session Management": lambda d: "check_session_iframe" in d,
    "prompt=create": lambda d: "create" in d["prompt_values_supported"],
    "RFC 9396": lambda d: "authorization_details_types_supported" in d,
    "JARM": lambda d: any(".jwt" in m or m == "jwt" for m in d["response_modes_supported"]),
}


def rows() -> dict[str, tuple[str, str]]:
    """First column -> (status, notes) of every table row."""
    found = {}
    for line in DOC.read_text().splitlines():
        match = ROW.match(line)
        if match and match["status"] != "status":
            found[match["spec"]] = (match["status"], match["notes"].strip())
    return found


def row(name: str) -> tuple[str, str]:
    matches = [value for spec, value in rows().items() if name in spec]
    assert len(matches) == 1, f"{name}: {len(matches)} rows"
    return matches[0]


def test_every_row_has_a_known_status() -> None:
    table = rows()
    assert len(table) >= len(REQUIRED)
    for spec, (status, notes) in table.items():
        assert status in STATUSES, f"{spec}: {status!r}"
        if status == "partial":
            assert "Missing" in notes or "In progress" in notes or "in progress" in notes, spec


@pytest.mark.parametrize("name", REQUIRED)
def test_every_specification_asked_about_is_there(name: str) -> None:
    row(name)


@pytest.mark.parametrize("name", sorted(ADVERTISED))
def test_discovery_advertises_exactly_the_supported_rows(name: str) -> None:
    config = AppConfiguration()
    # Token exchange, sign-up (prompt=create) and authorization details are supported but off
    # by default: the table says so in its notes.
    switched_on = [*config.grantTypesSupported, TOKEN_EXCHANGE]
    config = config.model_copy(
        update={
            "grantTypesSupported": switched_on,
            "selfServiceSignUpEnabled": True,
            "authorizationDetailsTypesSupported": ["payment_initiation"],
        }
    )
    doc = discovery.document(ISSUER, config, list(STANDARD_SCOPES), ("RS256", "ES256", "PS256"))
    status, _notes = row(name)
    assert ADVERTISED[name](doc) == (status == "supported"), f"{name} is {status}"


def test_the_readme_lists_every_specification_with_its_status() -> None:
    """README.md's table is docs/specifications.md's first two columns
    (``scripts/gen_spec_summary.py`` writes it)."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_spec_summary.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
