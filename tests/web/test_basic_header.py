"""Malformed ``Authorization: Basic`` values (RFC 6749 §2.3.1) at every endpoint that
authenticates clients: ``401 invalid_client`` with the Basic challenge, as for a wrong secret,
never a 500 (a non-ASCII value used to escape the base64 error handling)."""

from __future__ import annotations

import base64

import httpx
import pytest

from authgate.core import endpoints
from tests.lifecycle import INTROSPECTION, REVOKE, TOKEN, basic
from tests.support import Flow, authorize_params, new_verifier, s256


def _b64(raw: bytes) -> bytes:
    return b"Basic " + base64.b64encode(raw)


#: Header values as sent on the wire (bytes: Starlette reads headers as latin-1).
MALFORMED = {
    "latin-1 bytes": b"Basic \xff\xfe\xfd",
    "UTF-8 text": "Basic clïent:sécret".encode(),
    "base64 of UTF-8 then a non-ASCII byte": _b64(b"client:secret") + b"\xe9",
    "not base64": b"Basic !!!not-base64!!!",
    "bad padding": b"Basic YWJj=",
    "invalid UTF-8 inside": _b64(b"\xff\xfe:secret"),
    "no colon": _b64(b"just-a-client-id"),
    "empty": b"Basic ",
    "NUL in client_id": _b64(b"client\x00id:secret"),
    "percent-encoded NUL in client_id": _b64(b"client%00id:secret"),
    "control character in secret": _b64(b"client:sec\x01ret"),
}

ENDPOINTS = {
    "token": (TOKEN, {"grant_type": "client_credentials"}),
    "introspection": (INTROSPECTION, {"token": "some-token"}),
    "revocation": (REVOKE, {"token": "some-token"}),
    "par": (endpoints.PAR, authorize_params("some-client", s256(new_verifier()), "S256")),
}
#: Every malformed value at the token endpoint; the ones that used to answer 500 everywhere.
CASES = [(TOKEN, name) for name in MALFORMED] + [
    (endpoint, name)
    for endpoint in (INTROSPECTION, REVOKE, endpoints.PAR)
    for name in ("latin-1 bytes", "UTF-8 text", "NUL in client_id")
]


def _assert_invalid_client(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"
    assert response.json()["error_description"] == (
        "The Authorization header is not valid Basic credentials"
    )
    assert response.headers["www-authenticate"] == 'Basic realm="jans-auth"'
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("path", "name"), CASES, ids=[f"{p.rsplit('/', 1)[1]}-{n}" for p, n in CASES]
)
async def test_malformed_basic_is_invalid_client(
    http: httpx.AsyncClient, path: str, name: str
) -> None:
    form = next(f for p, f in ENDPOINTS.values() if p == path)
    response = await http.post(path, data=form, headers=[(b"authorization", MALFORMED[name])])
    _assert_invalid_client(response)


async def test_well_formed_basic_still_authenticates(http: httpx.AsyncClient, flow: Flow) -> None:
    """Percent-encoded credentials (RFC 6749 §2.3.1) keep working next to the refusals."""
    client = await flow.register(token_endpoint_auth_method="client_secret_basic")
    response = await http.post(
        INTROSPECTION,
        data={"token": "unknown"},
        headers=basic(client["client_id"], client["client_secret"]),
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"active": False}
