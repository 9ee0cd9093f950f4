"""Finding known secret values in what processes wrote (stdout, stderr, logs, error bodies).

A :class:`Secret` is a value the test knows (it chose it, or read it from a response it got)
with a label that failure messages show instead of the value. It is looked for in every
form it could be written in: as is, URL-encoded (form bodies, query strings), JSON-escaped,
and in the extra forms its maker adds (a Basic header, a JWT's signature, the base64 lines of
a PEM, a key's JWK members).

The one place a secret may appear is its one-time display: the line that shows a newly
created secret, labelled as shown once (:data:`SHOWN_ONCE`). :func:`one_time_displays`
finds those lines; :func:`find_leaks` allows a secret on its own display line only.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

#: The label of a one-time display ("(shown once; ...)", "... (shown once)").
SHOWN_ONCE = "shown once"
#: Shorter values would match by chance; every secret the tests use is longer.
MIN_LENGTH = 6
#: A JSON member holding a secret in a command's output (``"client_secret": "..."``).
_JSON_SECRET = re.compile(r'^\s*"client_secret": "(?P<secret>[^"]+)",?$')
#: A secret quoted on a line: ``... with password 'X'``, ``... with secret 'X'``.
_QUOTED_SECRET = re.compile(r"with (?:password|secret) '(?P<secret>[^']+)'")


def _b64url_uint(value: int) -> str:
    size = max(1, (value.bit_length() + 7) // 8)
    return base64.urlsafe_b64encode(value.to_bytes(size, "big")).decode().rstrip("=")


@dataclass(frozen=True, slots=True)
class Secret:
    """A known secret value; ``label`` names it in failure messages instead of the value."""

    label: str
    value: str = field(repr=False)
    extra_forms: tuple[str, ...] = field(default=(), repr=False)

    def forms(self) -> frozenset[str]:
        """Every way the value could be written, of at least :data:`MIN_LENGTH` characters."""
        found = {
            self.value,
            quote_plus(self.value),
            quote(self.value, safe=""),
            json.dumps(self.value)[1:-1],
            *self.extra_forms,
        }
        return frozenset(f for f in found if len(f) >= MIN_LENGTH)


def client_secret(label: str, client_id: str, value: str) -> Secret:
    """A client secret, also as the HTTP Basic credentials that carry it (RFC 6749 §2.3.1)."""
    basic = base64.b64encode(f"{quote_plus(client_id)}:{quote_plus(value)}".encode()).decode()
    raw = base64.b64encode(f"{client_id}:{value}".encode()).decode()
    return Secret(label, value, (basic, raw))


def jwt_secret(label: str, token: str) -> Secret:
    """A signed JWT; also its signature alone (a truncated token still shows it)."""
    return Secret(label, token, (token.rsplit(".", 1)[-1],))


def private_key_secrets(label: str, pem: str) -> list[Secret]:
    """A PEM private key: the whole PEM, each base64 line of its body (a log that cuts the
    PEM short still shows lines), and its private JWK members (RFC 7518 §6.2.2, §6.3.2)."""
    lines = [line for line in pem.strip().splitlines() if not line.startswith("-----")]
    found = [Secret(f"{label} (PEM)", pem.strip())]
    found += [Secret(f"{label} (PEM line {n})", line) for n, line in enumerate(lines, 1)]
    key = load_pem_private_key(pem.encode(), password=None)
    members: dict[str, int] = {}
    if isinstance(key, rsa.RSAPrivateKey):
        numbers = key.private_numbers()
        members = {"d": numbers.d, "p": numbers.p, "q": numbers.q, "dp": numbers.dmp1,
                   "dq": numbers.dmq1, "qi": numbers.iqmp}  # fmt: skip
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        size = (key.curve.key_size + 7) // 8
        d = key.private_numbers().private_value.to_bytes(size, "big")
        found.append(Secret(f"{label} (JWK d)", base64.urlsafe_b64encode(d).decode().rstrip("=")))
    found += [Secret(f"{label} (JWK {name})", _b64url_uint(v)) for name, v in members.items()]
    return found


@dataclass
class Output:
    """Text one process wrote to one stream, or one error body a server sent.

    ``announces_secret``: the command also said, on another stream, that the client secret
    in this output is shown once (``authgate clients create``). ``may_show``: labels of
    secrets this output shows by design (``authgate config get`` prints the whole
    configuration document)."""

    name: str
    text: str = field(repr=False)
    announces_secret: bool = False
    may_show: frozenset[str] = frozenset()
    lines: list[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.lines = self.text.splitlines()


def _display_value(output: Output, index: int) -> str | None:
    """The secret that line ``index`` of ``output`` displays once, if it is such a line."""
    line = output.lines[index]
    following = output.lines[index + 1] if index + 1 < len(output.lines) else ""
    quoted = _QUOTED_SECRET.search(line)
    if quoted and (SHOWN_ONCE in line or following.startswith(f"({SHOWN_ONCE}")):
        return quoted["secret"]
    member = _JSON_SECRET.match(line)
    if member and output.announces_secret:
        return member["secret"]
    return None


def one_time_displays(outputs: Iterable[Output]) -> dict[str, list[tuple[str, int]]]:
    """Each secret displayed once, with where: ``{value: [(output name, line number)]}``."""
    found: dict[str, list[tuple[str, int]]] = {}
    for output in outputs:
        for index in range(len(output.lines)):
            value = _display_value(output, index)
            if value is not None:
                found.setdefault(value, []).append((output.name, index + 1))
    return found


def find_leaks(
    outputs: Iterable[Output],
    secrets: Iterable[Secret],
    displays: Mapping[str, list[tuple[str, int]]],
) -> list[str]:
    """One message per line that shows a secret outside its one-time display. The messages
    name the secret by its label and show the line with the value replaced by ``<label>``."""
    forms = [(secret, form) for secret in secrets for form in secret.forms()]
    leaks = []
    for output in outputs:
        present = [(secret, form) for secret, form in forms if form in output.text]
        for number, line in enumerate(output.lines, 1):
            hits = [(secret, form) for secret, form in present if form in line]
            if not hits:
                continue
            masked = line
            for secret, form in sorted(hits, key=lambda hit: len(hit[1]), reverse=True):
                masked = masked.replace(form, f"<{secret.label}>")
            for secret in dict.fromkeys(secret for secret, _ in hits):
                if secret.label in output.may_show:
                    continue
                if (output.name, number) not in displays.get(secret.value, []):
                    leaks.append(f"{secret.label} in {output.name}, line {number}: {masked[:300]}")
    return leaks
