"""Second factors at sign-in (docs/sign-in.md): who must use one, and how the TOTP entry is
labelled in authenticator apps.

:class:`MfaProperties` is a base of :class:`authgate.appconfig.AppConfiguration`; it exists
only to keep each module small, so these properties are ordinary members of the one
configuration document.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MfaPolicy = Literal["optional", "required"]


class MfaProperties(BaseModel):
    """The second-factor members of the configuration document (see docs/sign-in.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    mfaPolicy: MfaPolicy = Field(
        "optional",
        description="Who must sign in with a second factor. `optional`: users who enrolled one "
        "use it at every sign-in, the others sign in with their password alone unless a "
        "client asks for more (`acr_values=mfa`, or mfaRequiredClients); `required`: every "
        "user, and a user without a factor is walked through TOTP enrolment at the next "
        "sign-in before the authorization completes. authgate extension.",
    )
    mfaRequiredClients: list[str] = Field(
        default_factory=list,
        max_length=1000,
        description="client_ids whose authorizations always need a second factor, as if they "
        "sent `acr_values=mfa` (a user without one enrols first), whatever mfaPolicy says. "
        "authgate extension.",
    )
    totpIssuerName: str = Field(
        "authgate",
        min_length=1,
        max_length=64,
        description="The issuer label of TOTP enrolments: what authenticator apps show next to "
        "the username (the `issuer` of the otpauth URI). authgate extension.",
    )
