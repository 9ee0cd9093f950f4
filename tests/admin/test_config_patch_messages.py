"""A JSON Patch that cannot be applied is refused with a message that never quotes the
document's values (the pairwise key and salt are secrets, and the message is also logged)
nor the value a ``test`` operation compared with."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.admin.config_patch import apply
from authgate.admin.errors import Conflict
from authgate.errors import InvalidRequest

SECRET = "current-secret-value-7Hq"
GUESS = "guessed-value-3Lp"
DOCUMENT = {"pairwiseCalculationKey": SECRET, "nested": {"inner": SECRET}, "items": [SECRET]}


@pytest.mark.parametrize(
    ("operation", "error", "says"),
    [
        ({"op": "test", "path": "/pairwiseCalculationKey", "value": GUESS}, Conflict,
         "test failed: the value there is not the tested one"),
        ({"op": "test", "path": "/nested/missing", "value": GUESS}, Conflict,
         "test failed: the value there is not the tested one"),
        ({"op": "add", "path": "/nested/missing/deeper", "value": GUESS}, InvalidRequest,
         "cannot be applied: member 'missing' not found"),
        ({"op": "replace", "path": "/items/x", "value": GUESS}, InvalidRequest,
         "cannot be applied: 'x' is not a valid sequence index"),
        ({"op": "copy", "from": "/pairwiseCalculationKey/0", "path": "/items/-"},
         InvalidRequest, "cannot be applied: Cannot apply token '0' to non-container type"),
    ],
)  # fmt: skip
def test_refusal_quotes_no_value(
    operation: dict[str, Any], error: type[Exception], says: str
) -> None:
    with pytest.raises(error) as refused:
        apply(DOCUMENT, [operation])
    message = str(refused.value)
    assert says in message
    assert SECRET not in message
    assert GUESS not in message
