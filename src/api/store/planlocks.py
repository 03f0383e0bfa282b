"""Writers of one plan take turns across processes: a PostgreSQL advisory lock per plan.

Why: inside one process, commands on a plan already queue on a striped lock
(`writers.py`). Between API workers they raced: both load version N, one save
wins, the other reloads and retries with backoff. Under load the busy side can keep
winning while the loser backs off, until the loser's retries run out and its client gets
409 "kept changing". PostgreSQL's lock queue makes them take turns instead.

In a command's unit of work (`unit.py`) the lock is transaction-scoped, on the unit's connection,
and held until the unit commits. Otherwise it is held from load to save, on a connection of its
own (a small pool), in the
two-int key space (`pg_advisory_lock(int, int)`), which does not overlap the single
bigint keys the projection workers use. SQLite has no second process to queue with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import psycopg
from eventsourcing import persistence as es
from psycopg_pool import ConnectionPool

from eenplan.api.settings import Settings
from eenplan.api.store import unit as units
from eenplan.domain.errors import ConcurrencyError

PLAN_WRITERS = 0x65706C  # the advisory lock class for plan writers ("epl")


def plan_key(plan_id: str) -> int:
    """A stable signed 32-bit key for a plan id; a rare collision only makes two plans queue."""
    return int.from_bytes(hashlib.blake2b(plan_id.encode(), digest_size=4).digest(), "big", signed=True)


class AdvisoryPlanLocks:
    def __init__(self, settings: Settings) -> None:
        wait = settings.lock_timeout_seconds

        def configure(conn: psycopg.Connection[Any]) -> None:
            conn.execute(f"SET lock_timeout = '{int(wait)}s'")  # 0: wait as long as it takes

        self.pool: ConnectionPool[Any] = ConnectionPool(
            settings.database_url,
            min_size=1,
            max_size=settings.pool_size + settings.pool_max_overflow,
            timeout=settings.pool_timeout_seconds,
            kwargs={"autocommit": True, "connect_timeout": settings.connect_timeout_seconds},
            configure=configure,
            check=ConnectionPool.check_connection,
            name="plan-locks",
            open=True,
        )

    @contextmanager
    def __call__(self, plan_id: str) -> Iterator[None]:
        key = (PLAN_WRITERS, plan_key(plan_id))
        unit = units.current()
        if unit is not None and unit.is_postgres:
            # In a unit of work: held until it commits or rolls back, so the next writer of the
            # plan never builds on events that may still be rolled back.
            try:
                with unit.datastore.transaction(commit=True) as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", key)
            except es.OperationalError as error:
                if isinstance(error.__cause__, psycopg.errors.LockNotAvailable):
                    raise ConcurrencyError(f"plan {plan_id} is busy; try again") from None
                raise
            yield
            return
        with self.pool.connection() as conn:
            try:
                conn.execute("SELECT pg_advisory_lock(%s, %s)", key)
            except psycopg.errors.LockNotAvailable:
                raise ConcurrencyError(f"plan {plan_id} is busy; try again") from None
            try:
                yield
            finally:
                self._unlock(conn, key)

    @staticmethod
    def _unlock(conn: psycopg.Connection[Any], key: tuple[int, int]) -> None:
        try:
            conn.execute("SELECT pg_advisory_unlock(%s, %s)", key)
        except psycopg.Error:
            # The session is broken, and a session's locks end with it; never pool it again.
            with suppress(psycopg.Error):
                conn.close()

    def close(self) -> None:
        self.pool.close()
