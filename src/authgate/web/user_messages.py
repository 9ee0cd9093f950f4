"""Sentences the core raises in English for a person to read, translated for the pages.

The core stays free of any catalog: its messages are the catalog's message ids, listed here
so that ``make messages`` extracts them (tests/web/test_catalogs.py checks that each core
message is listed and translated).
"""

from __future__ import annotations

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
