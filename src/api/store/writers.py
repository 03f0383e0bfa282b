"""Writers that take turns and try again: the application's `Attempts` ports, for a shared store.

The application saves optimistically: an attempt loads, decides and saves, and raises
`Conflict` when another writer saved first. Here is what to do about it, which depends on
the store and the processes around it, not on the domain:

- try again from a fresh load, after a jittered, growing pause, so writers in other
  processes stop colliding; give up with 409 (ConcurrencyError) after a bounded number;
- for plans, let one plan's writers take turns instead of racing: a striped in-process lock
  (a fixed number however many plans there are), and across API workers on PostgreSQL the
  advisory lock of `planlocks.py`.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TypeVar

from eenplan.domain.app.ports import Conflict
from eenplan.domain.errors import ConcurrencyError

T = TypeVar("T")
# Serialises one plan's writers across processes (planlocks.AdvisoryPlanLocks fits).
PlanGuard = Callable[[str], AbstractContextManager[object]]

PLAN_RETRIES = 50
RETRIES = 20


class Retrying:
    """Runs an attempt again while it conflicts; `retries` attempts in all."""

    def __init__(self, retries: int = RETRIES) -> None:
        self.retries = retries

    def run(self, key: str, attempt: Callable[[], T]) -> T:
        with self._turn(key):
            conflict = Conflict(f"{key} kept changing; try again")
            for number in range(self.retries):
                try:
                    return attempt()
                except Conflict as seen:
                    conflict = seen
                    _backoff(number)
            raise ConcurrencyError(str(conflict))

    def _turn(self, key: str) -> AbstractContextManager[object]:
        return nullcontext()


class PlanWriters(Retrying):
    """As `Retrying`, with one plan's writers taking turns: in this process, and through `guard`."""

    def __init__(
        self, retries: int = PLAN_RETRIES, guard: PlanGuard | None = None, stripes: int = 256
    ) -> None:
        super().__init__(retries)
        self.guard = guard
        self._locks = [threading.Lock() for _ in range(stripes)]

    @contextmanager
    def _turn(self, key: str) -> Iterator[None]:
        with self._locks[hash(key) % len(self._locks)]:
            if self.guard is None:
                yield
            else:
                with self.guard(key.removeprefix("plan:")):
                    yield


def _backoff(attempt: int) -> None:
    """Jittered exponential backoff, so writers in other processes stop colliding."""
    time.sleep(random.uniform(0, min(0.2, 0.002 * 2**attempt)))  # noqa: S311 - jitter, not crypto
