"""Advisory plan locks on a real PostgreSQL: one plan's writers in two processes take turns.

Two `AdvisoryPlanLocks` have pools and sessions of their own, as two API workers would.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from eenplan.api.bootstrap import build
from eenplan.api.settings import Settings
from eenplan.api.store.planlocks import PLAN_WRITERS, AdvisoryPlanLocks, plan_key
from eenplan.api.store.writers import PlanWriters
from eenplan.domain.errors import ConcurrencyError
from tests.conftest import STORE

pytestmark = pytest.mark.skipif(STORE != "postgres", reason="advisory locks are PostgreSQL's")


@pytest.fixture
def workers(settings: Settings) -> Iterator[tuple[AdvisoryPlanLocks, AdvisoryPlanLocks]]:
    one = AdvisoryPlanLocks(settings)
    impatient = AdvisoryPlanLocks(settings.model_copy(update={"lock_timeout_seconds": 1}))
    try:
        yield one, impatient
    finally:
        one.close()
        impatient.close()


def someone_waits_for(url: str, plan_id: str) -> bool:
    """Whether some session waits for this plan's lock (pg_locks: two-int keys have objsubid 2)."""
    objid = plan_key(plan_id) & 0xFFFFFFFF
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND classid = %s AND objid = %s AND objsubid = 2",
            (PLAN_WRITERS, objid),
        ).fetchone()
    return bool(row and row[0])


def wait_until_queued(url: str, plan_id: str) -> None:
    """Until some session queues for the plan's lock; fails after 30 s."""
    deadline = time.monotonic() + 30
    while not someone_waits_for(url, plan_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert someone_waits_for(url, plan_id), "no session queued for the plan's lock"


def test_a_second_writer_of_the_same_plan_waits_its_turn_while_other_plans_go_ahead(
    workers: tuple[AdvisoryPlanLocks, AdvisoryPlanLocks], settings: Settings
) -> None:
    first, second = AdvisoryPlanLocks(settings), workers[0]
    plan, other = str(uuid.uuid4()), str(uuid.uuid4())
    order: list[str] = []

    def later() -> None:
        with second(plan):
            order.append("second")

    try:
        with first(plan):
            waiter = threading.Thread(target=later)
            waiter.start()
            wait_until_queued(settings.database_url, plan)
            with workers[1](other):  # another plan is not held up (this one gives up after 1 s)
                order.append("other plan")
            order.append("first")
        waiter.join(timeout=30)
    finally:
        first.close()
    assert order == ["other plan", "first", "second"]


def test_a_writer_that_waits_past_the_lock_timeout_gets_a_concurrency_error(
    workers: tuple[AdvisoryPlanLocks, AdvisoryPlanLocks],
) -> None:
    holder, impatient = workers
    plan = str(uuid.uuid4())
    with holder(plan), pytest.raises(ConcurrencyError, match="busy"), impatient(plan):
        pass
    with impatient(plan):  # given back once the holder is done, and the refused session is clean
        pass


@pytest.mark.parametrize("enabled", [True, False])
def test_the_composition_root_wires_plan_locks_as_the_setting_says(settings: Settings, enabled: bool) -> None:
    container = build(settings.model_copy(update={"plan_locks": enabled, "projections_in_process": False}))
    try:
        writers = container.eenplan.ports.plan_writes
        assert isinstance(writers, PlanWriters)
        assert (writers.guard is not None) is enabled
        assert writers.guard is container.plan_locks
    finally:
        container.close()
