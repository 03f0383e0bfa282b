"""Exactly-once application of the event log to a view, with the position in the same transaction.

Every projection has generations of its tables (`pv_<table>_g<N>`): the active
one serves reads; a rebuild fills the next one and swaps it in. Per generation,
`eenplan_projection_tracking` holds the last applied notification id. A batch
reads the notifications after that id, then in ONE transaction checks the
position is unchanged (compare-and-set), applies the events and moves the
position. A crash rolls the whole batch back; a second worker applying the same
batch finds the position moved and applies nothing. Gaps in notification ids
are harmless: a batch asks for ids greater than the position, so a missing id
is never waited for and a later id is never skipped.

Event types a projection does not handle are not even decoded, but the position
still moves past them.

Each generation records the `version` of the projection that created it. When the
code's version is newer than the serving generation's (an upgrade changed the view),
the runner fills a replacement generation beside it, batch by batch, and swaps it in
when caught up; the old one keeps serving meanwhile, and its readers check its version.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, ClassVar

from eventsourcing.application import Application
from eventsourcing.persistence import Notification

from eenplan.domain import topics
from eenplan.projections.db import Tx, ViewDB, lock_key

Handler = Callable[[Tx, "Tables", Any, int], None]

STATE_DDL = [
    "CREATE TABLE IF NOT EXISTS eenplan_projections (name TEXT PRIMARY KEY, generation INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS eenplan_projection_tracking ("
    " name TEXT NOT NULL, generation INTEGER NOT NULL, position BIGINT NOT NULL,"
    " updated_at DOUBLE PRECISION, events_per_second DOUBLE PRECISION,"
    " PRIMARY KEY (name, generation))",
    # Added later: a generation without a row here was made by version 1 of its projection.
    "CREATE TABLE IF NOT EXISTS eenplan_projection_versions ("
    " name TEXT NOT NULL, generation INTEGER NOT NULL, version INTEGER NOT NULL,"
    " PRIMARY KEY (name, generation))",
]


class Tables:
    """The physical table names of one generation: `tables.plans` is `pv_plans_g3`."""

    def __init__(self, bases: list[str], generation: int) -> None:
        self.generation = generation
        for base in bases:
            setattr(self, base, f"pv_{base}_g{generation}")

    def __getattr__(self, base: str) -> str:  # for mypy: attributes are set per projection
        raise AttributeError(base)


class Projection(ABC):
    """A read model: its tables (DDL with `{t}` for the table name) and its event handlers."""

    name: ClassVar[str]
    tables: ClassVar[dict[str, list[str]]]
    # Raise it when the tables or what the handlers keep change: runners then rebuild the view.
    version: ClassVar[int] = 1

    @abstractmethod
    def handlers(self) -> dict[type, Handler]:
        """Event class → the function that applies it (stored topics are resolved by the registry)."""

    def names(self, generation: int) -> Tables:
        return Tables(list(self.tables), generation)


class BatchTx:
    """The transaction a batch's handlers write through. Statements run at once, except `latest`
    ones: of those only the last per key runs, once, when the batch's events are all applied
    (a plan's version and last activity, which every event of the plan moves)."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx
        self.pending: dict[tuple[str, Any], Sequence[Any]] = {}

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self.tx.execute(sql, params)

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.tx.execute_many(sql, rows)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.tx.rows(sql, params)

    def pipeline(self) -> AbstractContextManager[Any]:
        return self.tx.pipeline()

    def latest(self, sql: str, key: Any, params: Sequence[Any]) -> None:
        self.pending.pop((sql, key), None)  # keep the order of the last calls
        self.pending[(sql, key)] = params

    def flush(self) -> None:
        """Run the pending `latest` statements, one `executemany` per statement."""
        grouped: dict[str, list[Sequence[Any]]] = {}
        for (sql, _key), params in self.pending.items():
            grouped.setdefault(sql, []).append(params)
        self.pending.clear()
        for sql, rows in grouped.items():
            self.tx.execute_many(sql, rows)


@dataclass(frozen=True)
class Batch:
    position: int
    applied: int
    caught_up: bool


def ensure_schema(db: ViewDB, projection: Projection) -> None:
    """Create the state tables and generation 1 of the projection, once, race-free."""
    with db.write() as tx:
        if db.is_postgres:
            tx.rows("SELECT pg_advisory_xact_lock(?)", (lock_key("schema"),))
        for statement in STATE_DDL:
            tx.execute(statement)
        if active_generation(tx, projection.name) is None:
            create_generation(tx, projection, 1)
            tx.execute("INSERT INTO eenplan_projections (name, generation) VALUES (?, 1)", (projection.name,))


def create_generation(tx: Tx, projection: Projection, generation: int) -> None:
    for base, statements in projection.tables.items():
        for statement in statements:
            tx.execute(statement.format(t=f"pv_{base}_g{generation}"))
    tx.execute(
        "INSERT INTO eenplan_projection_tracking (name, generation, position) VALUES (?, ?, 0)",
        (projection.name, generation),
    )
    tx.execute(
        "INSERT INTO eenplan_projection_versions (name, generation, version) VALUES (?, ?, ?)",
        (projection.name, generation, projection.version),
    )


def drop_generation(tx: Tx, projection: Projection, generation: int) -> None:
    for base in projection.tables:
        tx.execute(f"DROP TABLE IF EXISTS pv_{base}_g{generation}")
    for table in ("eenplan_projection_tracking", "eenplan_projection_versions"):
        tx.execute(f"DELETE FROM {table} WHERE name = ? AND generation = ?", (projection.name, generation))


def active_generation(tx: Tx, name: str) -> int | None:
    rows = tx.rows("SELECT generation FROM eenplan_projections WHERE name = ?", (name,))
    return int(rows[0][0]) if rows else None


def generation_version(tx: Tx, name: str, generation: int) -> int:
    """The projection version a generation was made by (1: made before versions were recorded)."""
    sql = "SELECT version FROM eenplan_projection_versions WHERE name = ? AND generation = ?"
    rows = tx.rows(sql, (name, generation))
    return int(rows[0][0]) if rows else 1


def upgrade_generation(db: ViewDB, projection: Projection) -> int:
    """The generation of the current version that will replace an older serving one; made if none."""
    with db.write() as tx:
        if db.is_postgres:
            tx.rows("SELECT pg_advisory_xact_lock(?)", (lock_key("schema"),))
        active = active_generation(tx, projection.name)
        sql = "SELECT generation, version FROM eenplan_projection_versions WHERE name = ?"
        found = [int(g) for g, v in tx.rows(sql, (projection.name,)) if int(v) == projection.version]
        candidates = [g for g in found if g != active]
        if candidates:
            return max(candidates)
        sql = "SELECT generation FROM eenplan_projection_tracking WHERE name = ?"
        new = max([int(g) for (g,) in tx.rows(sql, (projection.name,))], default=0) + 1
        create_generation(tx, projection, new)
        return new


def tracking_serving(tx: Tx) -> dict[str, tuple[int, int, int]]:
    """Every projection's serving generation, the version that made it and its position, in one
    statement: what a runner round needs to know before it reads the log."""
    rows = tx.rows(
        "SELECT p.name, p.generation, COALESCE(v.version, 1), COALESCE(t.position, 0)"
        " FROM eenplan_projections p"
        " LEFT JOIN eenplan_projection_versions v ON v.name = p.name AND v.generation = p.generation"
        " LEFT JOIN eenplan_projection_tracking t ON t.name = p.name AND t.generation = p.generation"
    )
    return {str(name): (int(g), int(v), int(pos)) for name, g, v, pos in rows}


def position(tx: Tx, name: str, generation: int, *, for_update: bool = False) -> int:
    lock = " FOR UPDATE" if for_update else ""
    rows = tx.rows(
        f"SELECT position FROM eenplan_projection_tracking WHERE name = ? AND generation = ?{lock}",
        (name, generation),
    )
    return int(rows[0][0]) if rows else 0


class Fetched:
    """Notifications read and decoded once for all the projections of one runner round: in the
    steady state they are all at the same position and would each read and decode the same page.
    Handlers only read the events they are given, so one decoded event serves them all."""

    def __init__(self, app: Application[Any]) -> None:
        self.app = app
        self._pages: dict[tuple[int, int], Sequence[Notification]] = {}
        self._events: dict[int, Any] = {}

    def notifications(self, start: int, limit: int) -> Sequence[Notification]:
        page = self._pages.get((start, limit))
        if page is None:
            page = self.app.recorder.select_notifications(start, limit, inclusive_of_start=True)
            self._pages[(start, limit)] = page
        return page

    def event(self, notification: Notification) -> Any:
        event = self._events.get(notification.id)
        if event is None:
            event = self._events[notification.id] = self.app.mapper.to_domain_event(notification)
        return event


@dataclass
class Applier:
    """Applies batches of the event log to one generation of one projection."""

    app: Application[Any]
    db: ViewDB
    projection: Projection
    batch_size: int = 500
    apply_delay: float = 0.0  # test-only: slow batches down so a test can kill one mid-way

    RETRIES: ClassVar[int] = 3

    def next_batch(
        self,
        generation: int,
        *,
        swap_when_caught_up: bool = False,
        start: int | None = None,
        fetched: Fetched | None = None,
    ) -> Batch:
        """One batch after `start` (the generation's position, read here when not given; the
        write below checks it is still the position, so a stale one applies nothing).
        `fetched`: notifications already read and decoded this round, by another projection."""
        if start is None:
            with self.db.read() as tx:
                start = position(tx, self.projection.name, generation)
        began = time.monotonic()
        fetched = fetched or Fetched(self.app)
        notifications = fetched.notifications(start + 1, self.batch_size)
        caught_up = len(notifications) < self.batch_size
        if not notifications and not swap_when_caught_up:
            return Batch(start, 0, True)
        handlers = self.projection.handlers()
        events = []
        for n in notifications:
            cls = topics.known(n.topic)
            handler = handlers.get(cls) if cls else None
            if handler:
                events.append((n.id, handler, fetched.event(n)))
        end = notifications[-1].id if notifications else start
        with self.db.write() as tx:
            # Compare and set, first: it takes the tracking row, and when another worker moved it
            # since `start` was read, this batch applies nothing (nothing twice) and the
            # transaction ends with nothing written.
            rate = len(notifications) / max(time.monotonic() - began, 1e-6) if notifications else None
            if not self._track(tx, generation, start, end, rate):
                return Batch(start, 0, False)
            tables = self.projection.names(generation)
            batch = BatchTx(tx)
            with tx.pipeline():
                for notification_id, handler, event in events:
                    handler(batch, tables, event, notification_id)
                    if self.apply_delay:
                        time.sleep(self.apply_delay)
                batch.flush()
            if swap_when_caught_up and caught_up:
                tx.execute(
                    "UPDATE eenplan_projections SET generation = ? WHERE name = ?",
                    (generation, self.projection.name),
                )
        return Batch(end, len(notifications), caught_up)

    def _track(self, tx: Tx, generation: int, start: int, end: int, rate: float | None) -> bool:
        """Move the position from `start` to `end`; False when it is no longer at `start`.
        `rate`: events read and decoded per second for this batch (its write not included)."""
        moved = tx.execute(
            "UPDATE eenplan_projection_tracking SET position = ?, updated_at = ?,"
            " events_per_second = COALESCE(?, events_per_second)"
            " WHERE name = ? AND generation = ? AND position = ?",
            (end, time.time(), rate, self.projection.name, generation, start),
        )
        return moved == 1

    def active_batch(
        self, fetched: Fetched | None = None, serving: dict[str, tuple[int, int, int]] | None = None
    ) -> Batch:
        """One batch into the generation that currently serves reads; while that one is of an older
        version, also one into its replacement, which is swapped in once it has caught up.
        `serving`: what `tracking_serving` read for the round (else read here)."""
        name = self.projection.name
        if serving is None:
            with self.db.read() as tx:  # one snapshot: the serving generation, its version and position
                serving = tracking_serving(tx)
        generation: int | None
        start: int | None
        if name in serving:
            generation, version, start = serving[name]
            stale = version < self.projection.version
        else:
            generation, start, stale = None, None, False
        if generation is None:
            ensure_schema(self.db, self.projection)
            generation = 1
        batch = self.next_batch(generation, start=start, fetched=fetched)
        if not stale:
            return batch
        upgrade = self.next_batch(
            upgrade_generation(self.db, self.projection), swap_when_caught_up=True, fetched=fetched
        )
        return Batch(batch.position, batch.applied + upgrade.applied, batch.caught_up and upgrade.caught_up)
