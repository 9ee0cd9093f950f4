"""Encrypted responses opened by another implementation: the `jose` npm package (the JOSE
library node-oidc-provider and many Node relying parties use) decrypts authgate's JWEs with
the client's private key and verifies the signed JWT inside against the server's JWK Set, so
that the encryption is checked by more than the library that made it."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc.jwk import ECKey, Key, RSAKey

from tests.e2e.npm import npm_file
from tests.lifecycle import bearer
from tests.support import ISSUER, SQLITE_ONLY, Flow

pytestmark = SQLITE_ONLY
OPEN = Path(__file__).parent / "jose" / "open.mjs"


@pytest.fixture(scope="module")
def jose_module() -> str:
    return npm_file("jose", "6", "dist/webapi/index.js", os.environ).as_uri()


@functools.cache
def rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "rp-rsa", "use": "enc"})


def _open(jose_module: str, token: str, key: Key, jwks: Any, audience: str, **extra: str) -> Any:
    node = shutil.which("node")
    assert node is not None, "node (Node.js 20) is needed to run the jose library"
    request = {
        "jose": jose_module,
        "token": token,
        "key": key.as_dict(private=True),
        "jwks": jwks,
        "issuer": ISSUER,
        "audience": audience,
        **extra,
    }
    done = subprocess.run(
        [node, str(OPEN)],
        input=json.dumps(request).encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize(
    ("key", "alg", "enc"),
    [
        (rsa_key, "RSA-OAEP-256", "A256GCM"),
        (rsa_key, "RSA-OAEP", "A128CBC-HS256"),
        (lambda: ECKey.generate_key("P-256", parameters={"use": "enc"}), "ECDH-ES", "A128GCM"),
        (
            lambda: ECKey.generate_key("P-384", parameters={"kid": "rp-ec"}),
            "ECDH-ES+A256KW",
            "A256CBC-HS512",
        ),
    ],
    ids=["rsa-oaep-256", "rsa-oaep", "ecdh-es", "ecdh-es-a256kw"],
)
async def test_jose_opens_the_id_token(
    http: httpx.AsyncClient, flow: Flow, jose_module: str, key: Any, alg: str, enc: str
) -> None:
    private: Key = key()
    client = await flow.register(
        jwks={"keys": [private.as_dict(private=False)]},
        id_token_encrypted_response_alg=alg,
        id_token_encrypted_response_enc=enc,
    )
    issued = await flow.code(client["client_id"])
    tokens = await flow.tokens(issued)
    server_keys = (await http.get("/jans-auth/restv1/jwks")).json()
    opened = _open(jose_module, tokens["id_token"], private, server_keys, client["client_id"])
    assert (opened["header"]["alg"], opened["header"]["enc"]) == (alg, enc)
    assert opened["payload"]["nonce"] == issued.params["nonce"]
    assert opened["payload"]["at_hash"]


async def test_jose_opens_userinfo_as_json_and_as_a_nested_jwt(
    http: httpx.AsyncClient, flow: Flow, jose_module: str
) -> None:
    server_keys = (await http.get("/jans-auth/restv1/jwks")).json()
    for signed in (None, "PS256"):
        client = await flow.register(
            jwks={"keys": [rsa_key().as_dict(private=False)]},
            userinfo_encrypted_response_alg="RSA-OAEP-256",
            userinfo_signed_response_alg=signed,
        )
        tokens = await flow.tokens(await flow.code(client["client_id"], scope="openid profile"))
        response = await http.get(
            "/jans-auth/restv1/userinfo", headers=bearer(tokens["access_token"])
        )
        opened = _open(jose_module, response.text, rsa_key(), server_keys, client["client_id"])
        assert opened["payload"]["preferred_username"] == "alice"
        assert ("cty" in opened["header"]) is (signed is not None)
