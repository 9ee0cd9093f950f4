"""How the ``authgate`` command reports failures: one or two lines, a traceback only on request.

:class:`ReportingGroup` is the ``authgate`` group's class. A :class:`StartupError` prints its
lines; any other unexpected exception prints its type and message (with secret settings
replaced by ``***``) and how to see more. ``authgate --debug`` or ``AUTHGATE_LOG_LEVEL=debug``
adds the traceback. click's own errors (usage, aborts) are left to click.
"""

from __future__ import annotations

import os
import traceback
from typing import Any

import click

from authgate.startup.errors import StartupError
from authgate.startup.options import scrub

#: ``ctx.meta`` key: whether ``--debug`` was given.
DEBUG_KEY = "authgate.startup.debug"


def debugging(ctx: click.Context | None) -> bool:
    """Whether failures should show their traceback."""
    flag = bool(ctx is not None and ctx.meta.get(DEBUG_KEY))
    return flag or os.environ.get("AUTHGATE_LOG_LEVEL", "").strip().lower() == "debug"


def report(ctx: click.Context, exc: Exception) -> int:
    """Print ``exc`` for the operator; the exit status."""
    if debugging(ctx):
        text = "".join(traceback.format_exception(exc))
        click.echo(scrub(text, ctx).rstrip("\n"), err=True)
    if isinstance(exc, StartupError):
        lines, code = exc.lines(), exc.exit_code
    else:
        detail = scrub(f"{type(exc).__name__}: {exc}", ctx).splitlines()[0]
        lines = [f"Error: unexpected failure: {detail}"]
        if not debugging(ctx):
            lines.append("Run `authgate --debug ...` to see the traceback.")
        code = 1
    for line in lines:
        click.echo(line, err=True)
    return code


class ReportingGroup(click.Group):
    """A click group whose subcommands' failures are reported by :func:`report`."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Abort, click.exceptions.Exit):
            raise
        except Exception as exc:
            ctx.exit(report(ctx, exc))
