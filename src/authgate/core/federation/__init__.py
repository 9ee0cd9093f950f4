"""Sign-in with another identity provider (federation): authgate as a relying party of an
upstream OpenID Provider or OAuth 2.0 server. docs/federation.md."""
