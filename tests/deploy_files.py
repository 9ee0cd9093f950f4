"""Reading the files of deploy/ the way their programs do, and making them run here: the
systemd unit's settings and command, the nginx site with this test's ports and certificate,
a self-signed certificate, and environment files."""

from __future__ import annotations

import datetime
import ipaddress
import shlex
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

#: What deploy/nginx.conf names that the test replaces: (text, how many times it occurs).
NGINX_CERT = ("/etc/letsencrypt/live/login.example.com/fullchain.pem", 1)
NGINX_KEY = ("/etc/letsencrypt/live/login.example.com/privkey.pem", 1)
NGINX_UPSTREAM = ("server 127.0.0.1:8080;", 1)
NGINX_TLS = ("listen 443 ssl http2;", 1)
NGINX_PLAIN = ("listen 80;", 1)
NGINX_V6 = ("    listen [::]:443 ssl http2;\n", 1), ("    listen [::]:80;\n", 1)
NGINX_LOG = ("/var/log/nginx/authgate.access.log", 2)


def unit_sections(text: str) -> dict[str, dict[str, list[str]]]:
    """A systemd unit file as ``{section: {key: [values, in order]}}`` (keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{line!r} before any section"
        key, sep, value = line.partition("=")
        assert sep, f"not KEY=value: {line!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def env_file(path: Path) -> dict[str, str]:
    """``KEY=value`` lines as systemd's EnvironmentFile= and ``kubectl --from-env-file`` read
    them (no quotes in these files)."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            found[key.strip()] = value
    return found


@dataclass(frozen=True)
class UnitService:
    """What systemd would run for deploy/authgate.service."""

    program: str
    args: list[str]
    environment_files: list[str]
    environment: dict[str, str]
    working_directory: str
    user: str
    state_directory: str


def unit_service(text: str) -> UnitService:
    service = unit_sections(text)["Service"]
    (exec_start,) = service["ExecStart"]
    program, *args = shlex.split(exec_start)
    environment = {}
    for line in service.get("Environment", []):
        for item in shlex.split(line):
            key, _, value = item.partition("=")
            environment[key] = value
    return UnitService(
        program=program,
        args=args,
        environment_files=service.get("EnvironmentFile", []),
        environment=environment,
        working_directory=service["WorkingDirectory"][0],
        user=service["User"][0],
        state_directory=service["StateDirectory"][0],
    )


def replace_counted(text: str, old: str, count: int, new: str) -> str:
    """``text`` with ``old`` replaced by ``new``, which must occur exactly ``count`` times
    (so that a changed file fails the test instead of being run unchanged)."""
    assert text.count(old) == count, f"expected {old!r} {count} time(s) in the file"
    return text.replace(old, new)


def nginx_site(text: str, *, upstream: int, tls: int, plain: int, tmp: Path) -> str:
    """deploy/nginx.conf with this test's ports, certificate and log, on 127.0.0.1 only."""
    text = replace_counted(text, *NGINX_CERT, str(tmp / "cert.pem"))
    text = replace_counted(text, *NGINX_KEY, str(tmp / "key.pem"))
    text = replace_counted(text, *NGINX_UPSTREAM, f"server 127.0.0.1:{upstream};")
    text = replace_counted(text, *NGINX_TLS, f"listen 127.0.0.1:{tls} ssl http2;")
    text = replace_counted(text, *NGINX_PLAIN, f"listen 127.0.0.1:{plain};")
    for old, count in NGINX_V6:
        text = replace_counted(text, old, count, "")
    return replace_counted(text, *NGINX_LOG, str(tmp / "nginx-access.log"))


def nginx_main(site: Path, tmp: Path) -> str:
    """A main configuration that includes ``site`` in its http block, every path in ``tmp``."""
    temp = "\n".join(
        f"    {kind}_temp_path {tmp / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                          "uwsgi", "scgi")
    )  # fmt: skip
    return (
        f"worker_processes 1;\npid {tmp / 'nginx.pid'};\nerror_log {tmp / 'error.log'};\n"
        f"events {{ worker_connections 64; }}\n"
        f"http {{\n{temp}\n    include {site};\n}}\n"
    )


def self_signed(tmp: Path, host: str) -> Path:
    """A certificate for ``host`` and 127.0.0.1 with its key (``cert.pem``, ``key.pem`` in
    ``tmp``); returns the certificate, which clients use as their CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(host), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (tmp / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return tmp / "cert.pem"
