"""The WebAuthn ceremonies over py_webauthn: options for the browser, and the checks of what
it sends back (W3C Web Authentication Level 3, §7.1 registration and §7.2 authentication).

Choices (docs/security.md, "Passkeys"): attestation ``none`` (authgate trusts no
authenticator vendor's certificates, so it asks for none and stores the AAGUID only as a
hint), user verification ``preferred``, and discoverable credentials (resident keys)
``required``, so a passkey can sign in without a username. The relying party id and origin
come from the issuer (:mod:`.relying_party`).

Before the library verifies the signature, the client data's type, challenge and origin and
the authenticator data's RP id hash are checked here so that each refusal names its reason
(:class:`~authgate.core.passkeys.errors.Reason`). A signature counter that does not move
forward (WebAuthn §6.1.1) is refused: authgate treats a counter that went backwards as a
possibly cloned authenticator.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from authgate.core.passkeys.credential import PasskeyCredential
from authgate.core.passkeys.errors import PasskeyMalformed, PasskeyRejected, Reason
from authgate.core.passkeys.relying_party import CEREMONY_TIMEOUT, RelyingParty, from_issuer
from authgate.core.ports import Services
from authgate.core.types import User

# py_webauthn is loaded by the first ceremony rather than with the server (a tenth of a
# second of every start): each function imports what it uses.
if TYPE_CHECKING:
    from webauthn.helpers.structs import (
        AuthenticationCredential,
        ClientDataType,
        PublicKeyCredentialDescriptor,
        RegistrationCredential,
    )

#: Longest name a user may give a passkey.
NAME_MAX = 64
#: Longest credential id accepted (WebAuthn §5.4.3 allows up to 1023 bytes).
CREDENTIAL_ID_MAX = 1023


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def unb64url(text: str) -> bytes:
    """The bytes of unpadded base64url ``text``.

    Raises:
        PasskeyMalformed: not base64url.
    """
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise PasskeyMalformed() from exc


def relying_party(svc: Services) -> RelyingParty:
    return from_issuer(svc.issuer)


def user_handle(svc: Services, user_id: str) -> bytes:
    """The WebAuthn user handle of a user: a keyed hash of the user id (32 bytes), so it
    names no one outside authgate and needs no lookup (WebAuthn §14.6.1)."""
    secret = svc.config.current.pairwiseCalculationKey.encode("utf-8")
    key = hmac.new(secret, b"authgate webauthn user handle v1", hashlib.sha256).digest()
    return hmac.new(key, user_id.encode("utf-8"), hashlib.sha256).digest()


def _descriptors(credentials: Sequence[PasskeyCredential]) -> list[PublicKeyCredentialDescriptor]:
    from webauthn.helpers.structs import AuthenticatorTransport, PublicKeyCredentialDescriptor

    known = {t.value for t in AuthenticatorTransport}
    return [
        PublicKeyCredentialDescriptor(
            id=unb64url(c.credential_id),
            transports=[AuthenticatorTransport(t) for t in c.transports if t in known] or None,
        )
        for c in credentials
    ]


def registration_options(
    svc: Services, user: User, existing: Sequence[PasskeyCredential], challenge: bytes
) -> dict[str, Any]:
    """``PublicKeyCredentialCreationOptions`` as JSON for ``navigator.credentials.create``."""
    from webauthn import generate_registration_options
    from webauthn.helpers import options_to_json_dict
    from webauthn.helpers.structs import (
        AttestationConveyancePreference,
        AuthenticatorSelectionCriteria,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    rp = relying_party(svc)
    options = generate_registration_options(
        rp_id=rp.rp_id,
        rp_name=rp.name,
        user_name=user.username,
        user_id=user_handle(svc, user.user_id),
        user_display_name=user.name or user.username,
        challenge=challenge,
        timeout=CEREMONY_TIMEOUT * 1000,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            require_resident_key=True,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(existing),
    )
    return options_to_json_dict(options)


def authentication_options(
    svc: Services, challenge: bytes, allow: Sequence[PasskeyCredential] = ()
) -> dict[str, Any]:
    """``PublicKeyCredentialRequestOptions`` as JSON for ``navigator.credentials.get``; an
    empty ``allow`` asks for a discoverable credential (any passkey of this site)."""
    from webauthn import generate_authentication_options
    from webauthn.helpers import options_to_json_dict
    from webauthn.helpers.structs import UserVerificationRequirement

    options = generate_authentication_options(
        rp_id=relying_party(svc).rp_id,
        challenge=challenge,
        timeout=CEREMONY_TIMEOUT * 1000,
        allow_credentials=_descriptors(allow),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json_dict(options)


def _json(response: Mapping[str, Any] | str) -> str:
    if isinstance(response, str):
        return response
    return json.dumps(response)


def parse_registration(response: Mapping[str, Any] | str) -> RegistrationCredential:
    from webauthn.helpers import parse_registration_credential_json
    from webauthn.helpers.exceptions import WebAuthnException

    try:
        return parse_registration_credential_json(_json(response))
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise PasskeyMalformed() from exc


def parse_assertion(response: Mapping[str, Any] | str) -> AuthenticationCredential:
    from webauthn.helpers import parse_authentication_credential_json
    from webauthn.helpers.exceptions import WebAuthnException

    try:
        credential = parse_authentication_credential_json(_json(response))
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise PasskeyMalformed() from exc
    if len(credential.raw_id) > CREDENTIAL_ID_MAX or b64url(credential.raw_id) != credential.id:
        raise PasskeyMalformed()
    return credential


def client_challenge(client_data_json: bytes) -> bytes:
    """The challenge inside ``clientDataJSON`` (to find which challenge to redeem)."""
    from webauthn.helpers import parse_client_data_json

    try:
        return parse_client_data_json(client_data_json).challenge
    except Exception as exc:  # the library raises bare errors on a malformed document
        raise PasskeyMalformed() from exc


def _precheck(
    rp: RelyingParty, client_data_json: bytes, authenticator_data: bytes, kind: ClientDataType
) -> None:
    """The checks that name a reason, before the library's full verification."""
    from webauthn.helpers import parse_authenticator_data, parse_client_data_json

    try:
        client = parse_client_data_json(client_data_json)
        auth_data = parse_authenticator_data(authenticator_data)
    except Exception as exc:
        raise PasskeyMalformed() from exc
    if client.type != kind:
        raise PasskeyMalformed()
    if client.origin not in rp.origins or client.cross_origin:
        raise PasskeyRejected(Reason.WRONG_ORIGIN)
    if not hmac.compare_digest(auth_data.rp_id_hash, hashlib.sha256(rp.rp_id.encode()).digest()):
        raise PasskeyRejected(Reason.WRONG_RP_ID)
    if not auth_data.flags.up:
        raise PasskeyRejected(Reason.NOT_PRESENT)


def verify_registration(
    svc: Services,
    user: User,
    credential: RegistrationCredential,
    expected_challenge: bytes,
    name: str,
) -> PasskeyCredential:
    """The passkey a registration response creates for ``user`` (not stored yet).

    Raises:
        PasskeyRejected, PasskeyMalformed: the response does not verify.
    """
    from webauthn import verify_registration_response
    from webauthn.helpers import parse_authenticator_data
    from webauthn.helpers.exceptions import WebAuthnException
    from webauthn.helpers.structs import ClientDataType

    rp = relying_party(svc)
    raw_auth_data = auth_data_bytes(credential.response.attestation_object)
    try:
        auth_data = parse_authenticator_data(raw_auth_data)
    except Exception as exc:
        raise PasskeyMalformed() from exc
    _precheck(
        rp, credential.response.client_data_json, raw_auth_data, ClientDataType.WEBAUTHN_CREATE
    )
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=expected_challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origins,
            require_user_verification=False,
        )
    except WebAuthnException as exc:
        raise PasskeyRejected(Reason.BAD_SIGNATURE) from exc
    flags = auth_data.flags
    transports = tuple(t.value for t in credential.response.transports or ())
    return PasskeyCredential(
        credential_id=b64url(verified.credential_id),
        user_id=user.user_id,
        public_key=b64url(verified.credential_public_key),
        sign_count=verified.sign_count,
        user_handle=b64url(user_handle(svc, user.user_id)),
        name=clean_name(name) or "Passkey",
        created_at=svc.clock.now(),
        transports=transports,
        backup_eligible=bool(flags.be),
        backup_state=bool(flags.bs),
        aaguid=verified.aaguid,
    )


def auth_data_bytes(attestation_object: bytes) -> bytes:
    """The raw authenticator data inside an attestation object."""
    from webauthn.helpers import parse_cbor

    try:
        decoded = parse_cbor(attestation_object)
        data = decoded["authData"]
    except Exception as exc:
        raise PasskeyMalformed() from exc
    if not isinstance(data, bytes):
        raise PasskeyMalformed()
    return data


def clean_name(name: str) -> str:
    """A passkey's name as stored: printable, trimmed, at most :data:`NAME_MAX` characters."""
    kept = "".join(ch for ch in name if ch.isprintable())
    return " ".join(kept.split())[:NAME_MAX]


@dataclass(frozen=True, slots=True)
class CredentialUse:
    """A verified assertion: the passkey used and what the authenticator reported."""

    credential: PasskeyCredential
    user_verified: bool
    backed_up: bool

    @property
    def hardware(self) -> bool:
        """Whether the key is bound to one device (not synced): RFC 8176 ``hwk``, else
        ``swk``."""
        return not (self.credential.backup_eligible or self.backed_up)

    @property
    def amr(self) -> tuple[str, ...]:
        """RFC 8176 methods: ``hwk`` or ``swk``, and ``user`` when the user was verified."""
        return ("hwk" if self.hardware else "swk",) + (("user",) if self.user_verified else ())


async def verify_assertion(
    user_id: str | None,
    response: Mapping[str, Any] | str | AuthenticationCredential,
    expected_challenge: bytes,
    svc: Services,
) -> CredentialUse:
    """Check an assertion against the stored passkey and record its use.

    Args:
        user_id: The user who must own the passkey (a second factor), or None for any user
            (passwordless sign-in; the passkey names the user).
        response: The ``PublicKeyCredential`` JSON from ``navigator.credentials.get``.
        expected_challenge: The challenge the options carried (already redeemed, single use:
            :func:`authgate.core.passkeys.challenges.redeem`).

    Raises:
        PasskeyRejected: unknown or removed passkey, another user's, another origin or RP
            id, a bad signature, a counter that went backwards, a user handle that does not
            match; PasskeyMalformed: not an assertion.
    """
    from webauthn import verify_authentication_response
    from webauthn.helpers import parse_authenticator_data
    from webauthn.helpers.exceptions import WebAuthnException
    from webauthn.helpers.structs import AuthenticationCredential, ClientDataType

    credential = (
        response if isinstance(response, AuthenticationCredential) else parse_assertion(response)
    )
    stored = await svc.passkeys.get(b64url(credential.raw_id))
    if stored is None:
        raise PasskeyRejected(Reason.UNKNOWN_CREDENTIAL)
    if user_id is not None and stored.user_id != user_id:
        raise PasskeyRejected(Reason.WRONG_USER)
    handle = credential.response.user_handle
    if handle is not None and b64url(handle) != stored.user_handle:
        raise PasskeyRejected(Reason.USER_HANDLE)
    rp = relying_party(svc)
    _precheck(
        rp,
        credential.response.client_data_json,
        credential.response.authenticator_data,
        ClientDataType.WEBAUTHN_GET,
    )
    try:
        auth_data = parse_authenticator_data(credential.response.authenticator_data)
    except Exception as exc:
        raise PasskeyMalformed() from exc
    if (auth_data.sign_count or stored.sign_count) and auth_data.sign_count <= stored.sign_count:
        raise PasskeyRejected(Reason.SIGN_COUNT)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=expected_challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origins,
            credential_public_key=unb64url(stored.public_key),
            credential_current_sign_count=stored.sign_count,
            require_user_verification=False,
        )
    except WebAuthnException as exc:
        raise PasskeyRejected(Reason.BAD_SIGNATURE) from exc
    if not await svc.passkeys.record_use(
        stored.credential_id,
        expected_count=stored.sign_count,
        sign_count=verified.new_sign_count,
        backup_state=verified.credential_backed_up,
        now=svc.clock.now(),
    ):
        # removed since it was read, or its counter moved (a concurrent use of the same
        # counter value: a clone, or a replay racing the original)
        gone = await svc.passkeys.get(stored.credential_id) is None
        raise PasskeyRejected(Reason.UNKNOWN_CREDENTIAL if gone else Reason.SIGN_COUNT)
    return CredentialUse(stored, verified.user_verified, verified.credential_backed_up)
