"""The device authorization grant (RFC 8628): user codes, the device authorization endpoint,
the verification page's decisions and the token endpoint's polling rules."""
