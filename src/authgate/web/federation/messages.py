"""What the user reads when a sign-in through an upstream provider fails: one title and one
sentence per :class:`~authgate.core.federation.errors.FederationFailed` code (the one place
to translate them)."""

from __future__ import annotations

from authgate.web.i18n import N_, gettext

TITLE = N_("Sign-in failed")

MESSAGES: dict[str, str] = {
    "state_invalid": N_(
        "This sign-in link was already used, has expired, or was started in "
        "another browser. Start again from the application."
    ),
    "cancelled": N_("The sign-in at {provider} was cancelled."),
    "upstream_error": N_("{provider} could not sign you in."),
    "upstream_unreachable": N_(
        "{provider} cannot be reached right now. Try again later or sign in another way."
    ),
    "upstream_misconfigured": N_(
        "Sign-in with {provider} is not set up correctly. Tell your administrator."
    ),
    "issuer_mismatch": N_("The answer did not come from {provider}. Sign-in refused."),
    "token_failed": N_("{provider} did not confirm the sign-in. Try again later."),
    "bad_id_token": N_("The identity {provider} sent could not be verified. Sign-in refused."),
    "expired_id_token": N_("The identity {provider} sent has expired. Try again."),
    "nonce_mismatch": N_(
        "The identity {provider} sent does not belong to this sign-in. Sign-in refused."
    ),
    "no_subject": N_("{provider} did not say who you are. Sign-in refused."),
    "no_account": N_(
        "There is no account here for your {provider} identity, and accounts are "
        "not created automatically. Ask your administrator for an account."
    ),
    "account_disabled": N_("The account of your {provider} identity is disabled."),
    "unknown_provider": N_("This sign-in option is not available."),
}


def message(code: str, provider: str) -> str:
    """The sentence for ``code`` in the page's language, naming ``provider``."""
    return gettext(MESSAGES.get(code, MESSAGES["upstream_error"])).format(provider=provider)
