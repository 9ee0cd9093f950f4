"""Second factors at sign-in (docs/sign-in.md).

* :mod:`.acr`: the authentication context classes this server offers, what a request asks
  for (``acr_values``, or the ``claims`` parameter's ``acr``), and what a session satisfies;
* :mod:`.methods`: the second-factor methods, a mapping of kind to verifier that other
  methods (passkeys) plug into;
* :mod:`.enrolment`: TOTP enrolment and recovery codes;
* :mod:`.step`: the second-factor step of the sign-in interaction, under brute-force
  protection, and the session it opens or strengthens;
* :mod:`.factors`: the user's own factors on the account page, and the rule that keeps a
  user who must use a second factor from removing the last one;
* :mod:`.reset`: removing every factor of a user (administration).

Importing the package registers every built-in method, the passkey included
(:mod:`authgate.core.passkeys.factor`).
"""

from authgate.core.passkeys import factor as _passkey_factor  # noqa: F401 - registers it
