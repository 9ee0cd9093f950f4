"""A login session's device as the account page names it, from the browser's User-Agent
(parsed with ua-parser's rules): "Chrome 131 on Linux", or the start of the raw value when
nothing is recognised."""

from __future__ import annotations

from authgate.web.i18n import N_, gettext

UNKNOWN = N_("Unknown device")
_RAW_SHOWN = 60


def describe(user_agent: str) -> str:
    # ua-parser (and its rules) is loaded by the first account page rather than with the
    # server: a twentieth of a second of every start.
    from ua_parser import parse

    if not user_agent:
        return gettext(UNKNOWN)
    result = parse(user_agent)
    agent = result.user_agent
    if agent is None or agent.family == "Other":
        return user_agent[:_RAW_SHOWN]
    browser = f"{agent.family} {agent.major}" if agent.major else agent.family
    os = result.os
    device = result.device
    where = os.family if os is not None and os.family != "Other" else None
    if device is not None and device.family not in ("Other", "Spider") and where:
        where = f"{device.family}, {where}"
    if not where:
        return browser
    return gettext("%(browser)s on %(system)s") % {"browser": browser, "system": where}
