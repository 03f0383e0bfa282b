"""For idempotency recovery tests: a process that dies after saving, and claims that go stale fast."""

from __future__ import annotations

from typing import Any

from api.settings import Settings

STALE_SECONDS = 0.3  # a claim left this long by a "dead" process is taken over


class StoreWentAway(Exception):
    """Stands in for a process dying after the events were saved, before the answer was."""


def fast_stale(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"idempotency_stale_seconds": STALE_SECONDS, "idempotency_wait_seconds": 0.1}
    )


def never() -> Any:
    raise AssertionError("the command ran a second time")
