"""The WebAuthn relying party: its id and the origins allowed, derived from the issuer.

The issuer's host is the RP id (WebAuthn §5.1.3: a registrable domain suffix of the origin,
here the host itself) and the issuer's origin (scheme, host, port) the only origin a
ceremony may come from, since every authgate page is served under the issuer.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

#: How long a browser may take for a ceremony (the options' ``timeout``), and how long its
#: challenge stays valid.
CEREMONY_TIMEOUT = 300


@dataclass(frozen=True, slots=True)
class RelyingParty:
    rp_id: str
    origin: str
    name: str = "authgate"

    @property
    def origins(self) -> list[str]:
        return [self.origin]


def from_issuer(issuer: str) -> RelyingParty:
    """The relying party of the server whose issuer identifier is ``issuer``."""
    parts = urlsplit(issuer)
    host = (parts.hostname or "").lower()
    return RelyingParty(rp_id=host, origin=f"{parts.scheme}://{parts.netloc.lower()}")
