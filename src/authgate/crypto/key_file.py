"""A random secret kept in a file of its own, made on first use (the sealing key's default
home, docs/federation.md).

Several processes may ask for it at once (the workers of one server, or instances that share
a data directory): the file appears at its name complete or not at all. The secret is
written to a temporary file, flushed to disk, then linked to the name; whoever links second
reads the winner's secret instead of keeping its own.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


class KeyFileError(Exception):
    """The key file exists but holds no secret."""


def read_or_create(path: Path) -> str:
    """The secret in ``path``; a new random one (256 bits, URL-safe) if there is no file.

    The file and its temporary sibling are readable by their owner only.

    Raises:
        KeyFileError: the file is empty (it was not written by authgate).
    """
    if not path.exists():
        _create(path)
    value = path.read_text().strip()
    if not value:
        raise KeyFileError(f"{path} is empty: restore it from a backup, or set the key itself")
    return value


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(32))
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # another process was first: keep its key
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the new name is durable too
    finally:
        os.close(directory)
