"""The server process tunes the garbage collector once it has started (see settle_heap)."""

from __future__ import annotations

import gc

from authgate.web.app import GC_YOUNG_THRESHOLD, settle_heap


def test_settle_heap_freezes_startup_objects_and_raises_the_young_threshold() -> None:
    before = gc.get_threshold()
    try:
        settle_heap()
        assert gc.get_freeze_count() > 0
        young, middle, old = gc.get_threshold()
        assert young == GC_YOUNG_THRESHOLD
        assert (middle, old) == before[1:]
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
