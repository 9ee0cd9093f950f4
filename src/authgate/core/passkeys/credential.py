"""What authgate keeps of a passkey (a WebAuthn public key credential)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PasskeyCredential:
    """A registered passkey of one user.

    Binary values (the credential id, the COSE public key, the user handle) are kept as
    unpadded base64url text, as WebAuthn's JSON serialisation spells them. Nothing here is
    secret: the private key never leaves the authenticator.
    """

    credential_id: str
    user_id: str
    public_key: str
    sign_count: int
    user_handle: str
    name: str
    created_at: float
    transports: tuple[str, ...] = ()
    last_used_at: float | None = None
    #: The authenticator may sync the key to other devices (a multi-device credential).
    backup_eligible: bool = False
    #: The key is synced (backed up) now.
    backup_state: bool = False
    #: The authenticator model's AAGUID (all zeroes with attestation "none" on most).
    aaguid: str = ""

    @property
    def synced(self) -> bool:
        """A software-held, synced key (amr ``swk``) rather than one bound to a device
        (``hwk``): the authenticator said the credential may be backed up."""
        return self.backup_eligible or self.backup_state
