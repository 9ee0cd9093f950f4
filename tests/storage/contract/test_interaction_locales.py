"""An interaction keeps the request's ``ui_locales`` (OIDC Core §3.1.2.1), which pick the
language of its pages, on memory, SQLite and PostgreSQL alike."""

from __future__ import annotations

import dataclasses

from tests.storage.contract.conftest import Ports
from tests.storage.contract.values import interaction, request


async def test_an_interaction_keeps_the_requests_ui_locales(ports: Ports) -> None:
    asked = dataclasses.replace(request(), ui_locales=("de-AT", "en", "x-unknown"))
    await ports.interactions.add(interaction("ix-1", request=asked))
    stored = await ports.interactions.get("ix-1")
    assert stored is not None and stored.request.ui_locales == ("de-AT", "en", "x-unknown")
    await ports.interactions.add(interaction("ix-2"))
    bare = await ports.interactions.get("ix-2")
    assert bare is not None and bare.request.ui_locales == ()
