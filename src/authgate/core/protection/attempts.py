"""The keys an attempt at a secret is counted under.

An attempt is judged by up to four counters (:class:`~authgate.core.types.FailureKey`):

* *pair*: this subject (account, client) from this source (address, or trusted device);
* *source*: every subject from this source (password spraying);
* *subject*: this subject from every source (the optional lockout);
* *interaction*: the login page's interaction (a bounded number of attempts per page).

A username is never stored: its key is an HMAC under a server secret, so a password typed
into the username field does not end up in the database. Other values that are not short,
printable ASCII (a client_id is request input) are stored as a hash too, so any input makes
a valid key.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from authgate.appconfig import AppConfiguration
from authgate.core.types import FailureKey

LOGIN = "login"
CLIENT = "client"
REGISTRATION = "registration"
INTERACTION = "interaction"
USER_CODE = "user_code"
#: Second-factor codes (TOTP, recovery codes, ...) of one user: the subject is the user id.
FACTOR = "factor"
#: The source of an attempt whose address the caller does not know (tests, tools).
UNKNOWN_SOURCE = "unknown"
#: The source of a trusted device's attempts (its id follows).
DEVICE_PREFIX = "device:"
#: Longest subject and source stored as they are (the columns of the ``auth_failures`` table).
SUBJECT_MAX = 128
SOURCE_MAX = 64


def stored(value: str, limit: int = SUBJECT_MAX) -> str:
    """``value`` as a key stores it: itself if short printable ASCII, else a hash."""
    if len(value) <= limit and value.isascii() and value.isprintable():
        return value
    return "#" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def _secret(config: AppConfiguration, label: bytes) -> bytes:
    # Derived from a secret every instance shares (the configuration document), separated
    # from its other uses by the label.
    return hmac.new(config.pairwiseCalculationKey.encode("utf-8"), label, hashlib.sha256).digest()


def account_subject(username: str, config: AppConfiguration) -> str:
    """The key of a username (as typed, trimmed and case-folded): an HMAC, hex."""
    secret = _secret(config, b"authgate login subject v1")
    normal = username.strip().casefold().encode("utf-8", "surrogatepass")
    return hmac.new(secret, normal, hashlib.sha256).hexdigest()


def device_secret(config: AppConfiguration) -> bytes:
    """The key that signs device cookies (:mod:`authgate.core.protection.device`)."""
    return _secret(config, b"authgate device cookie v1")


@dataclass(frozen=True, slots=True)
class Attempt:
    """One attempt at a secret: whose, from where, and on which login page."""

    family: str
    subject: str
    source: str
    #: The source is a device cookie the subject's owner holds, not an address: the counters
    #: of the address and of the subject do not apply.
    trusted_device: bool = False
    interaction: str | None = None
    #: Only the pair counter applies: the attempt has no subject of its own (a guessed user
    #: code could be anyone's), so counters of the whole source or of the subject would
    #: duplicate it or count every source together.
    pair_only: bool = False

    @property
    def pair(self) -> FailureKey:
        return FailureKey(self.family, self.subject, self.source)

    @property
    def whole_source(self) -> FailureKey | None:
        if self.trusted_device or self.pair_only:
            return None
        return FailureKey(self.family, "", self.source)

    @property
    def whole_subject(self) -> FailureKey | None:
        if self.trusted_device or self.pair_only:
            return None
        return FailureKey(self.family, self.subject, "")

    @property
    def page(self) -> FailureKey | None:
        return None if self.interaction is None else FailureKey(INTERACTION, self.interaction)

    def counters(self) -> tuple[FailureKey, ...]:
        """Every counter this attempt is judged by and, when it fails, counted on."""
        found = (self.pair, self.whole_source, self.whole_subject, self.page)
        return tuple(key for key in found if key is not None)


def attempt(
    family: str,
    subject: str,
    source: str,
    *,
    device: str | None = None,
    interaction: str | None = None,
) -> Attempt:
    """An attempt on ``subject`` from ``source``, or from a trusted ``device`` id."""
    origin = f"{DEVICE_PREFIX}{device}" if device is not None else source
    return Attempt(
        family,
        stored(subject or "-", SUBJECT_MAX),
        stored(origin or UNKNOWN_SOURCE, SOURCE_MAX),
        trusted_device=device is not None,
        interaction=None if interaction is None else stored(interaction, SUBJECT_MAX),
    )
