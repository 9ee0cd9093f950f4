"""Where the TUI and ``--url`` CLI commands find the Config API and the admin credentials.

Each value comes from the first place that has it: a command-line flag, an environment
variable (``AUTHGATE_ADMIN_URL``, ``AUTHGATE_ADMIN_CLIENT_ID``, ``AUTHGATE_ADMIN_CLIENT_SECRET``),
or the TOML file ``$AUTHGATE_ADMIN_CONFIG`` (default ``~/.config/authgate/admin.toml``)::

    url = "https://auth.example.com"
    client_id = "..."
    client_secret = "..."
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_FILE = Path("~/.config/authgate/admin.toml")


class ConnectionSettingsError(Exception):
    """The connection settings are incomplete or the file is unreadable."""


@dataclass(frozen=True, slots=True)
class Connection:
    url: str
    client_id: str
    client_secret: str


def config_file(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("AUTHGATE_ADMIN_CONFIG") or DEFAULT_FILE).expanduser()


def _file_values(path: Path, explicit: bool) -> dict[str, str]:
    if not path.exists():
        if explicit:
            raise ConnectionSettingsError(f"config file {path} does not exist")
        return {}
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConnectionSettingsError(f"cannot read {path}: {exc}") from None
    return {k: str(v) for k, v in data.items() if k in ("url", "client_id", "client_secret")}


def resolve(
    url: str | None,
    client_id: str | None,
    client_secret: str | None,
    *,
    file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Connection:
    """Combine flags, environment and file (in that order of precedence).

    Raises:
        ConnectionSettingsError: a value is missing everywhere, naming where to set it.
    """
    env = os.environ if environ is None else environ
    values = _file_values(file or config_file(env), explicit=file is not None)
    chosen = {
        "url": url or env.get("AUTHGATE_ADMIN_URL") or values.get("url"),
        "client_id": client_id or env.get("AUTHGATE_ADMIN_CLIENT_ID") or values.get("client_id"),
        "client_secret": client_secret
        or env.get("AUTHGATE_ADMIN_CLIENT_SECRET")
        or values.get("client_secret"),
    }
    missing = [k for k, v in chosen.items() if not v]
    if missing:
        flags = ", ".join(f"--{k.replace('_', '-')}" for k in missing)
        names = ", ".join(f"AUTHGATE_ADMIN_{k.upper()}" for k in missing)
        raise ConnectionSettingsError(
            f"missing {flags}: pass the flag, set {names}, or put them in "
            f"{file or config_file(env)}"
        )
    return Connection(chosen["url"] or "", chosen["client_id"] or "", chosen["client_secret"] or "")
