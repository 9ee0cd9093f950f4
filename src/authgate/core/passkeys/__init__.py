"""WebAuthn passkeys: passwordless sign-in and a second factor (docs/security.md, "Passkeys").

* :mod:`.credential`: what is stored of a passkey;
* :mod:`.relying_party`: the relying party id and origin, derived from the issuer;
* :mod:`.challenges`: single-use, expiring challenges bound to what they were issued for;
* :mod:`.ceremony`: the registration and authentication ceremonies over py_webauthn;
* :mod:`.signin`: sign-in with a passkey on the login page, instead of the password;
* :mod:`.factor`: a passkey as the ``webauthn`` method of the second-factor step
  (:mod:`authgate.core.mfa`);
* :mod:`.errors`: the refusals, each with a reason for the security events.
"""
