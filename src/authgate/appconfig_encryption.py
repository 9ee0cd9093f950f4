"""The configuration document's members for encrypted responses: the algorithms a client may
choose for its encrypted id_tokens, UserInfo, authorization (JARM) and introspection
responses (OIDC Registration §2, JARM §3, RFC 9701 §6), under Janssen's names.

Declared apart from :mod:`authgate.appconfig` only to keep each module small; see
docs/authorization-responses.md.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: Key management algorithms that encrypt to a client's public key
#: (:mod:`authgate.crypto.client_encryption`).
KeyEncryptionAlg = Literal[
    "RSA-OAEP", "RSA-OAEP-256", "ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A256KW"
]
ContentEncryptionAlg = Literal[
    "A128CBC-HS256", "A192CBC-HS384", "A256CBC-HS512", "A128GCM", "A192GCM", "A256GCM"
]
IMPLEMENTED_KEY_ALGS: tuple[KeyEncryptionAlg, ...] = (
    "RSA-OAEP",
    "RSA-OAEP-256",
    "ECDH-ES",
    "ECDH-ES+A128KW",
    "ECDH-ES+A256KW",
)
IMPLEMENTED_CONTENT_ENCS: tuple[ContentEncryptionAlg, ...] = (
    "A128CBC-HS256",
    "A192CBC-HS384",
    "A256CBC-HS512",
    "A128GCM",
    "A192GCM",
    "A256GCM",
)


def _algs(response: str) -> Any:
    return Field(
        default_factory=lambda: list(IMPLEMENTED_KEY_ALGS),
        description=f"Key management algorithms a client may register for encrypted {response} "
        "(to its own RSA or EC key). Empty: they cannot be encrypted.",
    )


def _encs(response: str) -> Any:
    return Field(
        default_factory=lambda: list(IMPLEMENTED_CONTENT_ENCS),
        description=f"Content encryption algorithms a client may register for encrypted "
        f"{response} (A128CBC-HS256 when it registers none).",
    )


class EncryptionProperties(BaseModel):
    """Encrypted id_tokens, UserInfo, authorization and introspection responses."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    idTokenEncryptionAlgValuesSupported: list[KeyEncryptionAlg] = _algs("id_tokens")
    idTokenEncryptionEncValuesSupported: list[ContentEncryptionAlg] = _encs("id_tokens")
    userInfoEncryptionAlgValuesSupported: list[KeyEncryptionAlg] = _algs("UserInfo responses")
    userInfoEncryptionEncValuesSupported: list[ContentEncryptionAlg] = _encs("UserInfo responses")
    authorizationEncryptionAlgValuesSupported: list[KeyEncryptionAlg] = _algs(
        "authorization responses (JARM)"
    )
    authorizationEncryptionEncValuesSupported: list[ContentEncryptionAlg] = _encs(
        "authorization responses (JARM)"
    )
    introspectionEncryptionAlgValuesSupported: list[KeyEncryptionAlg] = _algs(
        "introspection responses (RFC 9701)"
    )
    introspectionEncryptionEncValuesSupported: list[ContentEncryptionAlg] = _encs(
        "introspection responses (RFC 9701)"
    )
