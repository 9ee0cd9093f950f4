"""Sentences the core raises in English for a person to read, translated for the pages.

The core stays free of any catalog: its messages are the catalog's message ids, listed here
so that ``make messages`` extracts them (tests/web/test_catalogs.py checks that each core
message is listed and translated).
"""

from __future__ import annotations

from authgate.core.passkeys.errors import DESCRIPTIONS, PasskeyMalformed, PasskeyRejected
from authgate.core.selfservice.policy import Refused
from authgate.web.i18n import N_, gettext, ngettext

EXTRACTED = (
    N_("Invalid username or password."),
    N_("That code is not valid. Check the code shown on your device and try again."),
    N_("This code has expired. Start again on your device."),
    N_("This code has already been used."),
    N_("This code has already been used or has expired."),
    # the descriptions of the standard scopes a fresh install creates (runtime.STANDARD_SCOPES);
    # a scope an operator adds is shown as written
    N_("Sign you in with your account"),
    N_("Your name and username"),
    N_("Your email address"),
    N_("Keep access while you are away"),
    # self-service refusals (core/selfservice/messages.py); {length} is filled in after
    N_("Choose a password of at least {length} characters."),
    N_("Choose a password of at most {length} characters."),
    N_("That password is one of the most common passwords. Choose another one."),
    N_("Do not use your username or email address as your password."),
    N_("The two passwords are not the same."),
    N_("Choose a username of 1 to {length} characters without spaces or control characters."),
    N_("That username is taken. Choose another one."),
    N_("Enter a valid email address."),
    N_("Enter a name of at most {length} characters."),
    N_("Your current password is not correct."),
    N_("That is already your email address."),
    N_(
        "This link is not valid any more: it was already used, it expired, or it was changed. "
        "Ask for a new one."
    ),
    N_(
        "Confirm your email address first: follow the link in the latest mail we sent you, "
        "then sign in."
    ),
    N_("This page is not available on this server."),
    # second factors (errors.FactorFailed, core/mfa/factors.LastFactorRequired)
    N_("That code is not valid."),
    N_(
        "This is your last second factor and your account must use one. "
        "Add another passkey or authenticator app first."
    ),
    # passkey refusals (core/passkeys/errors.DESCRIPTIONS)
    N_("The passkey response could not be read."),
    N_("This passkey is not registered here (it may have been removed). Sign in another way."),
    N_("The passkey response was made for another site."),
    N_("The passkey belongs to another site."),
    N_("The passkey's signature could not be verified."),
    N_("This passkey request was already used. Try again."),
    N_("This passkey request has expired. Try again."),
    N_("This passkey request was not made for this page. Try again."),
    N_(
        "This passkey's signature counter went backwards, a sign that it may have been "
        "cloned. It was refused; contact your administrator."
    ),
    N_("The passkey response names another account."),
    N_("The authenticator did not confirm that you were present."),
    N_("This passkey belongs to another account."),
    N_("This passkey is already registered."),
    N_("Too many failed sign-in attempts. Wait a moment and try again."),
    N_("Sign-in with this passkey was refused."),
)


def translated(message: str, retry_after: int | None = None) -> str:
    """``message`` in the page's language, with how long to wait when there is a wait."""
    text = gettext(message)
    if retry_after:
        wait = ngettext(
            "Try again in %(num)d second.", "Try again in %(num)d seconds.", retry_after
        ) % {"num": retry_after}
        text = f"{text} {wait}"
    return text


def refusal(exc: Refused) -> str:
    """A self-service refusal in the page's language, its placeholders filled in."""
    text = gettext(exc.template)
    return text.format(**exc.params) if exc.params else text


def passkey_refusal(exc: PasskeyRejected | PasskeyMalformed) -> str:
    """A refused passkey ceremony in the page's language (the JSON answers keep the English
    description)."""
    return translated(DESCRIPTIONS[exc.why], getattr(exc, "retry_after", None))
