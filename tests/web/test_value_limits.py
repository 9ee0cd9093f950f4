"""Values longer than a client record holds are refused where they enter, on both databases.

PostgreSQL refuses a value longer than its column and SQLite keeps it, so the limits
(``core.types.CLIENT_NAME_MAX`` and the attribute limits) are checked at registration and in
the Config API instead of being left to the database.
"""

from __future__ import annotations

import httpx
import pytest

from authgate.core.types import ATTRIBUTE_VALUE_MAX, CLIENT_NAME_MAX
from authgate.runtime import Runtime
from tests.conftest import patch_config
from tests.support import flow_registration_body

REGISTER = "/jans-auth/restv1/register"


@pytest.mark.parametrize(
    ("length", "status"), [(CLIENT_NAME_MAX, 201), (CLIENT_NAME_MAX + 1, 400)], ids=["at", "over"]
)
async def test_client_name_length(http: httpx.AsyncClient, length: int, status: int) -> None:
    response = await http.post(
        REGISTER, json=flow_registration_body() | {"client_name": "n" * length}
    )
    assert response.status_code == status, response.text
    if status == 400:
        assert response.json()["error"] == "invalid_client_metadata"
        assert "client_name" in response.json()["error_description"]
    else:
        assert response.json()["client_name"] == "n" * length


@pytest.mark.parametrize(
    ("length", "status"),
    [(ATTRIBUTE_VALUE_MAX, 201), (ATTRIBUTE_VALUE_MAX + 1, 400)],
    ids=["at", "over"],
)
async def test_custom_attribute_length(
    http: httpx.AsyncClient, runtime: Runtime, length: int, status: int
) -> None:
    await patch_config(runtime, dynamicRegistrationCustomAttributes=["tenant"])
    response = await http.post(REGISTER, json=flow_registration_body() | {"tenant": "v" * length})
    assert response.status_code == status, response.text
    if status == 400:
        assert response.json() == {
            "error": "invalid_client_metadata",
            "error_description": f"Parameter tenant is not valid: at most {ATTRIBUTE_VALUE_MAX} "
            "characters",
        }
    else:
        assert response.json()["tenant"] == "v" * length
