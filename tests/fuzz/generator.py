"""Malformed requests for every endpoint, from a seeded generator.

Each request starts from a template: a plausible request to one endpoint, built on real
state (registered clients, tokens, a login session, pending login and consent interactions,
an admin token; :class:`FuzzState`). Then zero to four mutations break it: parameters dropped,
repeated, multiplied or given hostile values (control characters, NUL, invalid UTF-8, huge or
empty values), bodies in the wrong content type or not parsable, JSON members of the wrong
type, odd methods and paths, bad ``Authorization``, ``DPoP`` and ``Cookie`` headers, bodies in
pieces or cut short. The same seed gives the same requests.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import quote, quote_from_bytes

from authgate.admin import paths as api
from authgate.core import endpoints as ep
from tests.fuzz.driver import FuzzRequest
from tests.fuzz.jose import FuzzKey, hostile_jwt

FORM = b"application/x-www-form-urlencoded"
JSON = b"application/json"


@dataclass
class FuzzState:
    """What the templates build on; the test sets it up and keeps it current."""

    client_id: str  # public client: code flow with PKCE, refresh tokens
    redirect_uri: str
    confidential_id: str  # client_secret_basic, client_credentials
    confidential_secret: str
    victim_id: str  # public client the registration management requests may delete
    victim_token: str  # its registration_access_token
    access_token: str
    refresh_token: str
    id_token: str
    session_cookie: str
    login_ix: str
    login_csrf: str
    consent_ix: str
    consent_csrf: str
    ix_cookie: str
    admin_token: str
    read_token: str  # Config API, read scopes only
    victim_user_id: str
    jwt_client_id: str  # private_key_jwt client whose registered key is ``key``
    key: FuzzKey
    issuer: str
    now: float  # the server's (fixed) clock


Pairs = list[tuple[str, str]]

# --- hostile values -----------------------------------------------------------------------

CONTROL = "".join(chr(c) for c in range(32)) + "\x7f"
UNICODE = "é漢字🙂\u202e\ufeff\u0301\ud7ff\U0010ffff"
HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "\r\nSet-Cookie: x=1",
    "%00",
    "%0d%0aLocation:%20http://evil",
    "'\"<script>alert(1)</script>",
    "../../../../etc/passwd",
    "${jndi:ldap://x}",
    "null",
    "[]",
    "{}",
    "-1",
    "0",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    "true",
    "openid openid openid",
    "http://evil.example/cb",
    "https://127.0.0.1:8765/jans-auth-rp/home.htm#frag",
    "javascript:alert(1)",
    "data:text/html,x",
    "urn:ietf:params:oauth:request_uri:nothing",
    "a" * 300,
    "a" * 5000,
    UNICODE,
    "\ud800",  # a lone surrogate: not encodable as UTF-8
]


def hostile_text(rng: random.Random) -> str:
    choice = rng.randrange(6)
    if choice == 0:
        return rng.choice(HOSTILE_TEXT)
    if choice == 1:
        return "".join(rng.choice(CONTROL + "ab=&;%+") for _ in range(rng.randrange(1, 12)))
    if choice == 2:
        return "".join(rng.choice(UNICODE + "ab") for _ in range(rng.randrange(1, 12)))
    if choice == 3:
        return rng.choice(string.ascii_letters) * rng.choice([1, 64, 256, 1024, 20_000, 70_000])
    if choice == 4:
        return "".join(chr(rng.randrange(0x20, 0x7F)) for _ in range(rng.randrange(1, 40)))
    return "".join(chr(rng.randrange(0, 0x3000)) for _ in range(rng.randrange(1, 20)))


def hostile_bytes(rng: random.Random) -> bytes:
    """Bytes that are not (always) UTF-8: raw high bytes, overlong forms, cut sequences."""
    return rng.choice(
        [
            b"\xff",
            b"\xc0\xaf",
            b"\xe2\x82",
            b"\xed\xa0\x80",
            b"\x80\x80\x80",
            bytes(rng.randrange(256) for _ in range(rng.randrange(1, 16))),
        ]
    )


def encode_value(rng: random.Random, value: str) -> bytes:
    """``value`` form-encoded, or raw: unescaped, with bad escapes or with bytes that are not
    UTF-8."""
    choice = rng.randrange(10)
    encoded = value.encode("utf-8", "surrogatepass")
    if choice < 6:
        return quote_from_bytes(encoded, safe="").encode()
    if choice == 6:
        return encoded
    if choice == 7:
        return quote_from_bytes(encoded, safe="").encode() + rng.choice(
            [b"%", b"%G1", b"%f", b"%%"]
        )
    if choice == 8:
        return quote_from_bytes(encoded + hostile_bytes(rng), safe="").encode()
    return encoded + hostile_bytes(rng)


def encode_pairs(rng: random.Random, pairs: Pairs) -> bytes:
    parts = [encode_value(rng, name) + b"=" + encode_value(rng, value) for name, value in pairs]
    separator = b"&" if rng.random() < 0.95 else rng.choice([b";", b"&&", b"&=&"])
    return separator.join(parts)


def clean_pairs(pairs: Pairs) -> bytes:
    """``pairs`` properly form-encoded (lone surrogates as the bytes Python would make)."""
    return b"&".join(
        quote_from_bytes(n.encode("utf-8", "surrogatepass"), safe="").encode()
        + b"="
        + quote_from_bytes(v.encode("utf-8", "surrogatepass"), safe="").encode()
        for n, v in pairs
    )


# --- templates ----------------------------------------------------------------------------


@dataclass
class Template:
    """A plausible request before mutation."""

    label: str
    method: str
    path: str
    query: Pairs
    headers: list[tuple[bytes, bytes]]
    form: Pairs | None = None
    json_body: object | None = None
    raw_body: bytes | None = None


def basic(client_id: str, secret: str) -> bytes:
    return b"Basic " + base64.b64encode(f"{client_id}:{secret}".encode())


def bearer(token: str) -> bytes:
    return b"Bearer " + token.encode()


def signed_or_hostile(
    rng: random.Random, s: FuzzState, header: dict[str, object], claims: dict[str, object]
) -> str:
    """A well-formed signed JWT now and then; mostly a hostile one."""
    if rng.random() < 0.25:
        return s.key.sign(header, claims)
    return hostile_jwt(rng, s.key, header, claims)[0]


def dpop_proof(rng: random.Random, s: FuzzState) -> bytes:
    endpoint = rng.choice([ep.TOKEN, ep.PAR, ep.USERINFO, ep.INTROSPECTION])
    header: dict[str, object] = {"typ": "dpop+jwt", "alg": "ES256", "jwk": s.key.public_jwk}
    claims: dict[str, object] = {
        "jti": f"j{rng.randrange(10**9)}",
        "htm": rng.choice(["POST", "GET"]),
        "htu": s.issuer + endpoint,
        "iat": int(s.now),
    }
    if rng.random() < 0.3:
        claims["ath"] = rng.choice(["x", "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"])
    if rng.random() < 0.2:
        claims["nonce"] = "n"
    return signed_or_hostile(rng, s, header, claims).encode("utf-8", "surrogatepass")


def client_assertion(rng: random.Random, s: FuzzState) -> str:
    claims: dict[str, object] = {
        "iss": s.jwt_client_id,
        "sub": s.jwt_client_id,
        "aud": s.issuer + ep.TOKEN,
        "jti": f"a{rng.randrange(10**9)}",
        "iat": int(s.now),
        "exp": int(s.now) + 60,
    }
    return signed_or_hostile(rng, s, {"alg": "ES256", "kid": s.key.kid}, claims)


def request_object(rng: random.Random, s: FuzzState, pairs: Pairs) -> str:
    claims: dict[str, object] = {**dict(pairs), "iss": s.jwt_client_id, "aud": s.issuer}
    header: dict[str, object] = {"alg": "ES256", "kid": s.key.kid, "typ": "oauth-authz-req+jwt"}
    return signed_or_hostile(rng, s, header, claims)


def id_token_like(rng: random.Random, s: FuzzState) -> str:
    claims: dict[str, object] = {
        "iss": s.issuer,
        "aud": s.client_id,
        "sub": "someone",
        "iat": int(s.now),
        "exp": int(s.now) + 300,
    }
    return signed_or_hostile(rng, s, {"alg": "ES256", "kid": s.key.kid}, claims)


def authorize_pairs(s: FuzzState, rng: random.Random) -> Pairs:
    pairs: Pairs = [
        (
            "response_type",
            rng.choice(["code", "code", "token", "id_token", "code id_token", "none"]),
        ),
        ("client_id", s.client_id),
        ("redirect_uri", s.redirect_uri),
        ("scope", rng.choice(["openid", "openid profile email", "openid offline_access", "x"])),
        ("state", "st"),
        ("nonce", "n0"),
        ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
        ("code_challenge_method", rng.choice(["S256", "plain", "s256"])),
    ]
    for name, values in (
        ("prompt", ["none", "login", "consent", "select_account", "login consent"]),
        ("response_mode", ["query", "fragment", "form_post", "jwt"]),
        ("max_age", ["0", "-1", "10", "x"]),
        ("login_hint", ["alice", "admin"]),
        ("acr_values", ["1", "pwd"]),
        ("ui_locales", ["en", "fr-CA"]),
        ("claims", ['{"userinfo":{"email":null}}', "{", "[]"]),
        ("request", ["eyJhbGciOiJub25lIn0.eyJ9.", "x.y.z"]),
        ("request_uri", ["urn:ietf:params:oauth:request_uri:abc"]),
        ("dpop_jkt", ["abc"]),
        ("resource", ["https://api.example", "relative"]),
    ):
        if rng.random() < 0.15:
            pairs.append((name, rng.choice(values)))
    if rng.random() < 0.15:  # a request object (RFC 9101) of the private_key_jwt client
        pairs = [(n, s.jwt_client_id if n == "client_id" else v) for n, v in pairs]
        pairs.append(("request", request_object(rng, s, pairs)))
    return pairs


def browser_cookies(s: FuzzState, rng: random.Random) -> list[tuple[bytes, bytes]]:
    cookies = []
    if rng.random() < 0.6:
        cookies.append(f"session_id={s.session_cookie}")
    if rng.random() < 0.6:
        cookies.append(f"authgate_ix={s.ix_cookie}")
    return [(b"cookie", "; ".join(cookies).encode())] if cookies else []


def t_authorize(s: FuzzState, rng: random.Random) -> Template:
    pairs = authorize_pairs(s, rng)
    if rng.random() < 0.5:
        return Template("authorize GET", "GET", ep.AUTHORIZE, pairs, browser_cookies(s, rng))
    headers = [(b"content-type", FORM), *browser_cookies(s, rng)]
    return Template("authorize POST", "POST", ep.AUTHORIZE, [], headers, form=pairs)


TOKEN_TYPES = [
    "urn:ietf:params:oauth:token-type:access_token",
    "urn:ietf:params:oauth:token-type:refresh_token",
    "urn:ietf:params:oauth:token-type:id_token",
    "urn:ietf:params:oauth:token-type:jwt",
    "",
]
TARGETS = ["https://api.example", "billing", "relative", "https://api.example/#f", "x" * 600]


def exchange_form(s: FuzzState, rng: random.Random) -> Pairs:
    """A token exchange (RFC 8693) of the confidential client, valid or not."""
    tokens = [s.access_token, s.refresh_token, s.id_token, "nope", ""]
    form: Pairs = [("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange")]
    if rng.random() < 0.9:
        form.append(("subject_token", rng.choice(tokens)))
    if rng.random() < 0.9:
        form.append(("subject_token_type", rng.choice(TOKEN_TYPES)))
    if rng.random() < 0.3:
        form += [("actor_token", rng.choice(tokens)), ("actor_token_type", rng.choice(TOKEN_TYPES))]
    for name in ("audience", "resource"):
        form += [(name, rng.choice(TARGETS)) for _ in range(rng.randrange(3))]
    if rng.random() < 0.3:
        form.append(("scope", rng.choice(["openid", "openid admin", ""])))
    if rng.random() < 0.2:
        form.append(("requested_token_type", rng.choice(TOKEN_TYPES)))
    return form


def t_token(s: FuzzState, rng: random.Random) -> Template:
    grant = rng.randrange(5)
    headers: list[tuple[bytes, bytes]] = [(b"content-type", FORM)]
    if grant == 0:
        form: Pairs = [
            ("grant_type", "authorization_code"),
            ("code", rng.choice(["abc", s.access_token])),
            ("redirect_uri", s.redirect_uri),
            ("client_id", s.client_id),
            ("code_verifier", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        ]
    elif grant == 1:
        form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", rng.choice([s.refresh_token, "nope"])),
            ("client_id", s.client_id),
        ]
    elif grant == 2:
        form = [("grant_type", "client_credentials"), ("scope", rng.choice(["openid", "x", ""]))]
        form += [("resource", rng.choice(TARGETS)) for _ in range(rng.randrange(3))]
        headers.append((b"authorization", basic(s.confidential_id, s.confidential_secret)))
    elif grant == 3:
        form = exchange_form(s, rng)
        headers.append((b"authorization", basic(s.confidential_id, s.confidential_secret)))
    else:
        form = [
            ("grant_type", rng.choice(["password", "urn:ietf:params:oauth:grant-type:jwt-bearer"])),
            ("client_id", s.client_id),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"),
        ]
    return Template("token", "POST", ep.TOKEN, [], headers, form=form)


def t_par(s: FuzzState, rng: random.Random) -> Template:
    headers = [(b"content-type", FORM)]
    pairs = authorize_pairs(s, rng)
    if rng.random() < 0.5:
        headers.append((b"authorization", basic(s.confidential_id, s.confidential_secret)))
        pairs = [(n, s.confidential_id if n == "client_id" else v) for n, v in pairs]
    return Template("par", "POST", ep.PAR, [], headers, form=pairs)


def t_introspection(s: FuzzState, rng: random.Random) -> Template:
    auth = rng.choice(
        [basic(s.confidential_id, s.confidential_secret), bearer(s.access_token), b""]
    )
    headers = [(b"content-type", FORM)] + ([(b"authorization", auth)] if auth else [])
    form = [("token", rng.choice([s.access_token, s.refresh_token, "x"]))]
    if rng.random() < 0.5:
        form.append(("token_type_hint", rng.choice(["access_token", "refresh_token", "id_token"])))
    return Template("introspection", "POST", ep.INTROSPECTION, [], headers, form=form)


def t_revocation(s: FuzzState, rng: random.Random) -> Template:
    form = [("token", rng.choice(["x", "y" * 40])), ("client_id", s.client_id)]
    if rng.random() < 0.5:
        form.append(("token_type_hint", rng.choice(["access_token", "refresh_token"])))
    headers = [(b"content-type", FORM)]
    if rng.random() < 0.4:
        headers.append((b"authorization", basic(s.confidential_id, s.confidential_secret)))
    return Template("revocation", "POST", ep.REVOKE, [], headers, form=form)


def t_userinfo(s: FuzzState, rng: random.Random) -> Template:
    if rng.random() < 0.6:
        token = s.access_token if rng.random() < 0.7 else id_token_like(rng, s)
        return Template("userinfo GET", "GET", ep.USERINFO, [], [(b"authorization", bearer(token))])
    return Template(
        "userinfo POST",
        "POST",
        ep.USERINFO,
        [],
        [(b"content-type", FORM)],
        form=[("access_token", s.access_token)],
    )


def registration_body(s: FuzzState, rng: random.Random) -> dict[str, object]:
    body: dict[str, object] = {
        "client_name": "fuzz",
        "application_type": rng.choice(["web", "native"]),
        "token_endpoint_auth_method": rng.choice(
            ["none", "client_secret_basic", "private_key_jwt"]
        ),
        "scope": rng.choice([["openid", "profile"], "openid profile", []]),
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "redirect_uris": [s.redirect_uri],
    }
    for name, values in (
        ("post_logout_redirect_uris", [[s.redirect_uri], ["http://x"]]),
        ("jwks", [{"keys": []}, {"keys": [{"kty": "RSA"}]}, "x"]),
        ("jwks_uri", ["https://127.0.0.1:1/jwks"]),
        ("sector_identifier_uri", ["https://127.0.0.1:1/s.json"]),
        ("subject_type", ["pairwise", "public", "other"]),
        ("id_token_signed_response_alg", ["RS256", "none", "HS256"]),
        ("contacts", [["a@b.c"], "a@b.c"]),
        ("logo_uri", ["https://x/logo.png"]),
        ("backchannel_logout_uri", ["https://127.0.0.1:1/bc"]),
        ("require_pkce", [True, "yes"]),
        ("dpop_bound_access_tokens", [True, 1]),
        ("access_token_as_jwt", [True]),
        ("authorized_origins", [["https://a.example"], ["*"]]),
        ("software_statement", ["x.y.z"]),
    ):
        if rng.random() < 0.15:
            body[name] = rng.choice(values)
    return body


def t_register(s: FuzzState, rng: random.Random) -> Template:
    return Template(
        "register POST",
        "POST",
        ep.REGISTER,
        [],
        [(b"content-type", JSON)],
        json_body=registration_body(s, rng),
    )


def t_client_configuration(s: FuzzState, rng: random.Random) -> Template:
    method = rng.choice(["GET", "GET", "PUT", "DELETE"])
    headers = [(b"authorization", bearer(s.victim_token))]
    query = [("client_id", s.victim_id)]
    if method != "PUT":
        return Template(f"register {method}", method, ep.REGISTER, query, headers)
    body = registration_body(s, rng) | {"client_id": s.victim_id}
    headers.append((b"content-type", JSON))
    return Template("register PUT", "PUT", ep.REGISTER, query, headers, json_body=body)


def t_private_key_jwt(s: FuzzState, rng: random.Random) -> Template:
    """A request authenticated with a client assertion (RFC 7523) of the private_key_jwt
    client, at each endpoint that authenticates clients."""
    path = rng.choice([ep.TOKEN, ep.TOKEN, ep.INTROSPECTION, ep.REVOKE, ep.PAR])
    form: Pairs = {
        ep.TOKEN: [("grant_type", rng.choice(["client_credentials", "authorization_code"]))],
        ep.INTROSPECTION: [("token", s.access_token)],
        ep.REVOKE: [("token", "x")],
        ep.PAR: [pair for pair in authorize_pairs(s, rng) if pair[0] != "client_id"],
    }[path]
    if rng.random() < 0.5:
        form.append(("client_id", s.jwt_client_id))
    form += [
        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        ("client_assertion", client_assertion(rng, s)),
    ]
    return Template("private_key_jwt", "POST", path, [], [(b"content-type", FORM)], form=form)


def t_end_session(s: FuzzState, rng: random.Random) -> Template:
    hint = s.id_token if rng.random() < 0.6 else id_token_like(rng, s)
    pairs: Pairs = [("id_token_hint", hint), ("state", "s")]
    if rng.random() < 0.5:
        pairs.append(("post_logout_redirect_uri", s.redirect_uri))
    if rng.random() < 0.5:
        pairs.append(("client_id", s.client_id))
    if rng.random() < 0.3:
        pairs.append(("csrf", "x"))
    cookies = browser_cookies(s, rng)
    if rng.random() < 0.5:
        return Template("end_session GET", "GET", ep.END_SESSION, pairs, cookies)
    headers = [(b"content-type", FORM), *cookies]
    return Template("end_session POST", "POST", ep.END_SESSION, [], headers, form=pairs)


def t_login(s: FuzzState, rng: random.Random) -> Template:
    cookies = browser_cookies(s, rng)
    if rng.random() < 0.3:
        return Template("login GET", "GET", ep.LOGIN_PAGE, [("ix", s.login_ix)], cookies)
    form = [
        ("ix", s.login_ix),
        ("csrf", s.login_csrf),
        ("username", rng.choice(["alice", "admin", "nobody"])),
        ("password", rng.choice(["wrong", "correct horse battery staple"])),
    ]
    headers = [(b"content-type", FORM), *cookies]
    return Template("login POST", "POST", ep.LOGIN_PAGE, [], headers, form=form)


def t_consent(s: FuzzState, rng: random.Random) -> Template:
    cookies = browser_cookies(s, rng)
    if rng.random() < 0.3:
        return Template("consent GET", "GET", ep.CONSENT_PAGE, [("ix", s.consent_ix)], cookies)
    form = [
        ("ix", s.consent_ix),
        ("csrf", s.consent_csrf),
        ("decision", rng.choice(["allow", "deny", "maybe"])),
    ]
    headers = [(b"content-type", FORM), *cookies]
    return Template("consent POST", "POST", ep.CONSENT_PAGE, [], headers, form=form)


def t_device(s: FuzzState, rng: random.Random) -> Template:
    """The device flow (RFC 8628): its endpoint, its page (code entry, approval, answer) and
    its grant at the token endpoint."""
    choice = rng.randrange(4)
    if choice == 0:
        form = [("client_id", s.client_id), ("scope", rng.choice(["openid", "x", ""]))]
        return Template("device authorization", "POST", ep.DEVICE_AUTHORIZATION, [],
                        [(b"content-type", FORM)], form=form)  # fmt: skip
    cookies = browser_cookies(s, rng)
    if choice == 1:
        code = rng.choice(["BCDF-GHJK", "bcdfghjk", "", "A" * 40, "\u0000", "BCDF GHJK "])
        name = rng.choice(["user_code", "ix"])
        value = code if name == "user_code" else s.consent_ix
        return Template("device page GET", "GET", ep.DEVICE_PAGE, [(name, value)], cookies)
    if choice == 2:
        form = [
            ("ix", s.consent_ix),
            ("csrf", s.consent_csrf),
            ("decision", rng.choice(["approve", "deny", "maybe"])),
        ]
        headers = [(b"content-type", FORM), *cookies]
        return Template("device page POST", "POST", ep.DEVICE_PAGE, [], headers, form=form)
    form = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("client_id", s.client_id),
        ("device_code", rng.choice(["x", s.access_token, ""])),
    ]
    return Template("device token", "POST", ep.TOKEN, [], [(b"content-type", FORM)], form=form)


def t_public_documents(s: FuzzState, rng: random.Random) -> Template:
    path = rng.choice([*ep.DISCOVERY_PATHS, ep.JWKS])
    query = [("x", "1")] if rng.random() < 0.2 else []
    return Template("discovery/jwks", "GET", path, query, [])


def api_auth(s: FuzzState, rng: random.Random) -> list[tuple[bytes, bytes]]:
    token = rng.choice([s.admin_token, s.admin_token, s.read_token, "junk"])
    return [(b"authorization", bearer(token))]


def t_config_api(s: FuzzState, rng: random.Random) -> Template:
    body: object
    headers = api_auth(s, rng)
    paging = [("limit", rng.choice(["1", "50", "0", "x"])), ("startIndex", rng.choice(["1", "-3"]))]
    choice = rng.randrange(16)
    if choice == 0:
        return Template("config GET", "GET", api.CONFIG, [], headers)
    if choice == 1:
        patch: list[dict[str, object]] = [
            {
                "op": rng.choice(["replace", "add", "remove", "test", "move", "copy", "x"]),
                "path": rng.choice(["/errorReasonEnabled", "/dpopTimeframe", "/nope", "", "/"]),
                "value": rng.choice([True, 60, "x", None, [], {}]),
            }
        ]
        headers.append((b"content-type", b"application/json-patch+json"))
        return Template("config PATCH", "PATCH", api.CONFIG, [], headers, json_body=patch)
    if choice == 2:
        return Template("clients GET", "GET", api.CLIENTS, [*paging, ("pattern", "fuzz")], headers)
    if choice == 3:
        headers.append((b"content-type", JSON))
        body = registration_body(s, rng)
        return Template("clients POST", "POST", api.CLIENTS, [], headers, json_body=body)
    client_path = f"{api.CLIENTS}/{rng.choice([s.victim_id, 'nobody'])}"
    if choice == 4:
        return Template("client GET", "GET", client_path, [], headers)
    if choice == 5:
        headers.append((b"content-type", JSON))
        body = registration_body(s, rng)
        return Template("client PUT", "PUT", client_path, [], headers, json_body=body)
    if choice == 6:
        return Template("client DELETE", "DELETE", client_path, [], headers)
    if choice == 7:
        return Template("scopes GET", "GET", api.SCOPES, paging, headers)
    if choice == 8:
        headers.append((b"content-type", JSON))
        body = {"scope_id": f"fuzz{rng.randrange(100)}", "description": "d", "claims": ["email"]}
        return Template("scopes POST", "POST", api.SCOPES, [], headers, json_body=body)
    scope_path = f"{api.SCOPES}/{rng.choice(['fuzz1', 'nope', 'a/b'])}"
    if choice == 9:
        method = rng.choice(["GET", "PUT", "DELETE"])
        body = {"description": "x"} if method == "PUT" else None
        if body is not None:
            headers.append((b"content-type", JSON))
        return Template(f"scope {method}", method, scope_path, [], headers, json_body=body)
    if choice == 10:
        return Template("users GET", "GET", api.USERS, paging, headers)
    if choice == 11:
        headers.append((b"content-type", JSON))
        body = {"username": f"u{rng.randrange(1000)}", "password": "password-123", "email": "a@b"}
        return Template("users POST", "POST", api.USERS, [], headers, json_body=body)
    user_path = f"{api.USERS}/{rng.choice([s.victim_user_id, 'nobody'])}"
    if choice == 12:
        method = rng.choice(["GET", "PATCH"])
        body = {"name": "N", "enabled": True} if method == "PATCH" else None
        if body is not None:
            headers.append((b"content-type", JSON))
        return Template(f"user {method}", method, user_path, [], headers, json_body=body)
    if choice == 13:
        headers.append((b"content-type", JSON))
        body = {"password": "another-password"}
        return Template(
            "user password", "POST", f"{user_path}/password", [], headers, json_body=body
        )
    if choice == 14:
        path = rng.choice([api.KEYS, api.SESSIONS, api.AUDIT, api.OPENAPI])
        return Template("ops GET", "GET", path, [*paging, ("user_id", "x")], headers)
    # never a valid token for these two: rotating keys is slow, and revoking the fuzz's own
    # session would change what the other templates see
    path = rng.choice([api.KEYS_ROTATE, f"{api.SESSIONS}/abc"])
    method = "POST" if path == api.KEYS_ROTATE else "DELETE"
    return Template("ops write", method, path, [], [(b"authorization", bearer(s.read_token))])


TEMPLATES: list[Callable[[FuzzState, random.Random], Template]] = [
    t_authorize,
    t_authorize,
    t_token,
    t_token,
    t_par,
    t_introspection,
    t_revocation,
    t_userinfo,
    t_register,
    t_client_configuration,
    t_private_key_jwt,
    t_end_session,
    t_login,
    t_consent,
    t_device,
    t_public_documents,
    t_config_api,
    t_config_api,
]

# --- mutations ----------------------------------------------------------------------------

METHODS = [
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT",
    "PROPFIND", "MKCOL", "LOCK", "PURGE", "SEARCH", "REPORT", "LINK", "QUERY",
]  # fmt: skip


def mutate_pairs(rng: random.Random, pairs: Pairs) -> tuple[Pairs, str]:
    pairs = list(pairs)
    choice = rng.randrange(8)
    if choice == 0 and pairs:
        del pairs[rng.randrange(len(pairs))]
        return pairs, "drop a parameter"
    if choice == 1 and pairs:
        pairs.append(rng.choice(pairs))
        return pairs, "repeat a parameter"
    if choice == 2:
        count = rng.choice([5, 99, 101, 300])
        pairs += [(f"x{i}", "1") for i in range(count)]
        return pairs, f"add {count} parameters"
    if choice == 3 and pairs:
        index = rng.randrange(len(pairs))
        pairs[index] = (pairs[index][0], hostile_text(rng))
        return pairs, f"hostile value for {pairs[index][0]}"
    if choice == 4 and pairs:
        index = rng.randrange(len(pairs))
        pairs[index] = (hostile_text(rng), pairs[index][1])
        return pairs, "hostile parameter name"
    if choice == 5:
        pairs.append((rng.choice(["client_id", "scope", "ix", "token", "code"]), hostile_text(rng)))
        return pairs, "hostile extra parameter"
    if choice == 6 and len(pairs) > 1:
        i, j = rng.sample(range(len(pairs)), 2)
        pairs[i] = (pairs[i][0], pairs[j][1])
        return pairs, "value of another parameter"
    return [], "no parameters"


def hostile_json(rng: random.Random, depth: int = 0) -> object:
    choice = rng.randrange(9 if depth < 3 else 6)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.choice([0, -1, 2**63, 10**400, 1.5, -0.0])
    if choice in (3, 4, 5):
        return hostile_text(rng)
    if choice == 6:
        return [hostile_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    if choice == 7:
        return {hostile_text(rng): hostile_json(rng, depth + 1) for _ in range(rng.randrange(4))}
    return rng.choice([[[[[]]]], {"keys": None}, [{"op": "add"}], {"": ""}])


def mutate_json(rng: random.Random, value: object) -> tuple[object, str]:
    if isinstance(value, dict) and value and rng.random() < 0.7:
        value = dict(value)
        name = rng.choice(sorted(value))
        if rng.random() < 0.3:
            del value[name]
            return value, f"drop member {name}"
        value[name] = hostile_json(rng)
        return value, f"hostile member {name}"
    if isinstance(value, list) and value and rng.random() < 0.7:
        return [mutate_json(rng, item)[0] for item in value], "hostile items"
    return hostile_json(rng), "hostile document"


def json_text(rng: random.Random, value: object) -> bytes:
    try:
        text = json.dumps(value, ensure_ascii=rng.random() < 0.5)
    except (ValueError, OverflowError):
        text = "{}"
    data = text.encode("utf-8", "surrogatepass")
    choice = rng.randrange(12)
    if choice == 0:
        return data[: rng.randrange(len(data) + 1)]  # cut short
    if choice == 1:
        return b"[" * rng.choice([100, 1000, 5000]) + b"]" * 5
    if choice == 2:
        return data.replace(b"{", b'{"a":1,"a":2,', 1)  # a repeated member
    if choice == 3:
        return data + hostile_bytes(rng)
    if choice == 4:
        return rng.choice([b"", b"null", b"NaN", b"1e999", b"\xef\xbb\xbf{}", b"'x'"])
    return data


def authorization_header(rng: random.Random, s: FuzzState) -> tuple[bytes, str]:
    choice = rng.randrange(12)
    if choice == 0:
        raw = rng.choice(["é:é", "\x00:\x00", "a", ":", "a:b:c", "%zz:%", "+:+"])
        return b"Basic " + base64.b64encode(raw.encode("utf-8", "surrogatepass")), "odd Basic"
    if choice == 1:
        return b"Basic " + base64.b64encode(b"\xff\xfe:\x80"), "Basic, not UTF-8"
    if choice == 2:
        return b"Basic " + rng.choice([b"!!!", b"YQ", b"", b"=====", b"YTpi\xff"]), "bad base64"
    if choice == 3:
        return b"Basic " + "é漢".encode(), "Basic with non-ASCII bytes"
    if choice == 4:
        junk = rng.choice([b"", b" ", b"x" * 5000, b"a.b.c", b"\xff\xfe", b"null"])
        return b"Bearer " + junk, "junk Bearer"
    if choice == 5:
        return rng.choice(
            [b"Bearer", b"Basic", b"DPoP", b"bearer  x", b"Negotiate x"]
        ), "bare scheme"
    if choice == 6:
        return b"DPoP " + s.access_token.encode(), "DPoP scheme without a proof"
    if choice == 7:
        return basic(s.confidential_id, "wrong") + b"\t", "wrong secret"
    if choice == 8:
        client = quote(s.confidential_id + "\x00", safe="")
        return b"Basic " + base64.b64encode(f"{client}:x".encode()), "percent-encoded NUL in Basic"
    return bytes(rng.randrange(0x20, 0x7F) for _ in range(rng.randrange(30))), "random text"


def header_mutation(
    rng: random.Random, s: FuzzState, headers: list[tuple[bytes, bytes]]
) -> tuple[list[tuple[bytes, bytes]], str]:
    headers = list(headers)
    choice = rng.randrange(9)
    if choice <= 2:
        value, what = authorization_header(rng, s)
        if rng.random() < 0.2:
            headers.append((b"authorization", value))  # a second one
            return headers, f"another Authorization: {what}"
        headers = [h for h in headers if h[0] != b"authorization"]
        return [*headers, (b"authorization", value)], f"Authorization: {what}"
    if choice == 3:
        proof = dpop_proof(rng, s) if rng.random() < 0.8 else rng.choice([b"x", b"\xff"])
        count = rng.choice([1, 1, 1, 2])
        return headers + [(b"dpop", proof)] * count, f"{count} odd DPoP proof(s)"
    if choice == 4:
        value = rng.choice(
            [
                b"session_id=" + rng.choice([b"junk", b"", b"\xff\xfe", b"a" * 4000]),
                b"authgate_ix=junk; session_id=" + s.session_cookie.encode(),
                b"session_id=" + s.session_cookie.encode() + b"; session_id=x",
                b'=; ;;; =x; "q"=1',
                b'session_id="quoted"',
                bytes(rng.randrange(0x20, 0x100) for _ in range(40)),
            ]
        )
        return [h for h in headers if h[0] != b"cookie"] + [(b"cookie", value)], "bad cookie"
    if choice == 5:
        value = rng.choice(
            [b"", b"text/plain", b"multipart/form-data; boundary=x", b"application/json",
             FORM + b"; charset=latin-1", b"APPLICATION/X-WWW-FORM-URLENCODED", b";;;", b"\xff"]
        )  # fmt: skip
        headers = [h for h in headers if h[0] != b"content-type"]
        return [*headers, (b"content-type", value)], f"content type {value!r}"
    if choice == 6:
        name = rng.choice([b"origin", b"x-forwarded-for", b"forwarded", b"host", b"accept"])
        value = rng.choice([b"null", b"http://evil", b"\xff", b'for="[::1";by=', b"", b"*"])
        return [*headers, (name, value)], f"odd {name.decode()} header"
    if choice == 7:
        return [*headers, (b"content-length", rng.choice([b"abc", b"-1", b"99999999999"]))], (
            "wrong Content-Length"
        )
    return [*headers, (b"x-junk", hostile_bytes(rng).replace(b"\r", b"").replace(b"\n", b""))], (
        "junk header"
    )


def path_mutation(rng: random.Random, path: str) -> tuple[str, str]:
    choice = rng.randrange(6)
    if choice == 0:
        return path + "/", "trailing slash"
    if choice == 1:
        return path + rng.choice(["%00", "%0a", "%ff", "%2f..", "/%2e%2e/x"]), "escape in the path"
    if choice == 2:
        return path.upper(), "path in capitals"
    if choice == 3:
        return "/" + path, "double slash"
    if choice == 4:
        return path + "/" + "a" * 3000, "long path"
    return path.replace("/", "//"), "doubled separators"


def source_address(rng: random.Random) -> str:
    """A peer address out of some sixteen million IPv4 addresses or IPv6 /64 networks (a
    limit counting per source counts IPv6 per /64)."""
    if rng.random() < 0.8:
        return f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
    return f"2001:db8:{rng.randrange(1 << 16):x}:{rng.randrange(1 << 8):x}::{rng.randrange(99)}"


def generate(rng: random.Random, s: FuzzState) -> FuzzRequest:
    """One (usually malformed) request."""
    template = rng.choice(TEMPLATES)(s, rng)
    notes: list[str] = []
    method, path = template.method, template.path
    query, headers = template.query, template.headers
    form, json_body, raw_body = template.form, template.json_body, template.raw_body
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4])):
        choice = rng.randrange(12)
        if choice <= 2 and form is not None:
            form, note = mutate_pairs(rng, form)
        elif choice <= 2 and json_body is not None:
            json_body, note = mutate_json(rng, json_body)
        elif choice <= 3:
            query, note = mutate_pairs(rng, query)
        elif choice <= 6:
            headers, note = header_mutation(rng, s, headers)
        elif choice == 7:
            method, note = rng.choice(METHODS), "method"
        elif choice == 8:
            path, note = path_mutation(rng, path)
        elif choice == 9:
            raw_body = rng.choice(
                [b"", hostile_bytes(rng), b"a" * 70_000, b"\x00" * 10, b"{", clean_pairs(query)]
            )
            note = "raw body"
        elif choice == 10 and form is not None:
            json_body, form, note = dict(form), None, "form sent as JSON"
        else:
            continue
        notes.append(note)
    if raw_body is not None:
        body = raw_body
    elif form is not None:
        body = encode_pairs(rng, form) if rng.random() < 0.5 else clean_pairs(form)
    elif json_body is not None:
        body = json_text(rng, json_body)
    else:
        body = b""
    encoded_query = encode_pairs(rng, query) if rng.random() < 0.5 else clean_pairs(query)
    request = FuzzRequest(
        label=" / ".join([template.label, *notes]),
        method=method,
        raw_path=quote(path, safe="/%").encode("ascii"),
        query=encoded_query,
        headers=headers,
        body=body,
        chunks=rng.choice([1, 1, 1, 2, 7]),
        abort=bool(body) and rng.random() < 0.02,
        client=source_address(rng),
    )
    if request.abort:
        request = replace(request, label=request.label + " / body cut short")
    return request
