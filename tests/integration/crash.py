"""For idempotency recovery tests: a process that dies after saving, and claims that go stale fast."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from eenplan.api.bootstrap import Container
from eenplan.api.http.idempotency import PLAN_RECOVERY, Recovery
from eenplan.api.settings import Settings
from eenplan.api.store.idempotency_keys import Reply
from eenplan.domain.context import CommandContext

T = TypeVar("T")

STALE_SECONDS = 0.3  # a claim left this long by a "dead" process is taken over


class StoreWentAway(Exception):
    """Stands in for a process dying after the events were saved, before the answer was."""


def fast_stale(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"idempotency_stale_seconds": STALE_SECONDS, "idempotency_wait_seconds": 0.1}
    )


def never() -> Any:
    raise AssertionError("the command ran a second time")


def lose_the_answer(
    container: Container,
    ctx: CommandContext,
    print_: str,
    run: Callable[[], T],
    render: Callable[[T], Reply],
    recovery: Recovery[T] = PLAN_RECOVERY,
) -> list[T]:
    """Run the command under its key, die before its answer is stored, and let the claim go stale.

    Returns what the command returned (nothing when it died before that)."""
    saved: list[T] = []

    def run_then_die() -> T:
        saved.append(run())
        raise StoreWentAway

    with pytest.raises(StoreWentAway):
        container.idempotency.run(ctx, True, print_, run_then_die, render, recovery)
    time.sleep(STALE_SECONDS + 0.1)
    return saved
