"""The configuration document's self-service members: sign-up (``prompt=create``), email
verification, password reset and profile changes on the account page (docs/self-service.md).

Declared apart from :mod:`authgate.appconfig` only to keep each module small. Everything is
off by default; the flows that send mail need the SMTP settings (``AUTHGATE_SMTP_*``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

LinkLifetime = Annotated[int, Field(ge=60, le=7 * 86400)]


class SelfServiceProperties(BaseModel):
    """Self-service members of the configuration document."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    selfServiceSignUpEnabled: bool = Field(
        False,
        description="Let people create their own account: `prompt=create` (OpenID Connect "
        'Prompt Create 1.0) and a "Create an account" link on the sign-in page. A '
        "verification link is mailed to the new address. Needs `AUTHGATE_SMTP_HOST`.",
    )
    selfServiceEmailVerificationRequired: bool = Field(
        False,
        description="A user who signed up cannot sign in until the email address is "
        "verified: after sign-up the authorization continues only once the mailed link was "
        "followed. Accounts an administrator made are not affected.",
    )
    selfServicePasswordResetEnabled: bool = Field(
        False,
        description='"Forgot your password?" on the sign-in page: a single-use reset link '
        "is mailed to the account's address. Needs `AUTHGATE_SMTP_HOST`.",
    )
    selfServiceProfileChangesEnabled: bool = Field(
        False,
        description="Users change their name, password (current password required) and "
        "email address (verified by a mailed link before it counts) on the account page. "
        "Needs `AUTHGATE_SMTP_HOST`.",
    )
    selfServicePasswordMinLength: Annotated[int, Field(ge=8, le=64)] = Field(
        12,
        description="Shortest password accepted at sign-up, reset and change (NIST SP "
        "800-63B: at least 8; 15 when the password is the only factor). Passwords on the "
        "bundled list of common passwords are refused; no composition rules.",
    )
    selfServiceVerificationLinkLifetime: LinkLifetime = Field(
        86400, description="Seconds an email verification link stays valid."
    )
    selfServiceResetLinkLifetime: LinkLifetime = Field(
        1800, description="Seconds a password reset link stays valid."
    )
    selfServiceMailsPerAddress: Annotated[int, Field(ge=1, le=1000)] = Field(
        5,
        description="Mails with a link sent to one address within "
        "`selfServiceMailWindowInSeconds`; more requests are answered as usual but send "
        "nothing (and record a `self_service_throttled` event).",
    )
    selfServiceMailWindowInSeconds: Annotated[int, Field(ge=60, le=86400)] = Field(
        3600, description="The window `selfServiceMailsPerAddress` counts in."
    )

    @property
    def selfServiceMailNeeded(self) -> bool:
        """Whether a self-service flow that sends mail is switched on."""
        return (
            self.selfServiceSignUpEnabled
            or self.selfServicePasswordResetEnabled
            or self.selfServiceProfileChangesEnabled
        )
