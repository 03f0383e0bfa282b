"""Blue-green rebuild: fill a new generation of a view from position 0 while the old one serves.

The last batch and the swap of the active generation commit in one transaction,
so readers see the old view or the complete new one, never an empty or a half
one. The generation that was replaced stays until the next rebuild, so a read
that began just before the swap still finds its tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.application import Application

from eenplan.projections.db import ViewDB, lock_key
from eenplan.projections.tracking import (
    Applier,
    Projection,
    active_generation,
    create_generation,
    drop_generation,
)
from eenplan.projections.tracking import ensure_schema as ensure

Progress = Callable[[int, int, int], None]  # position, head, events applied in the batch


class RebuildBusyError(RuntimeError):
    """Another rebuild of the same projection is running."""


@contextmanager
def _exclusive(db: ViewDB, name: str) -> Iterator[None]:
    if not db.is_postgres:
        yield  # one process is expected on SQLite
        return
    with db.connect(f"eenplan-rebuild-{name}") as conn:
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(f"rebuild:{name}"),)).fetchone()
        if not (row and row[0]):
            raise RebuildBusyError(f"projection {name} is already being rebuilt")
        yield


def _new_generation(db: ViewDB, projection: Projection) -> int:
    """Drop leftovers of earlier rebuilds (all but the active generation); create the next one."""
    with db.write() as tx:
        active = active_generation(tx, projection.name)
        sql = "SELECT generation FROM eenplan_projection_tracking WHERE name = ?"
        generations = [int(g) for (g,) in tx.rows(sql, (projection.name,))]
        for generation in generations:
            if generation != active:
                drop_generation(tx, projection, generation)
        new = max(generations, default=0) + 1
        create_generation(tx, projection, new)
    return new


def rebuild(
    app: Application[Any],
    db: ViewDB,
    projection: Projection,
    *,
    batch_size: int = 1000,
    progress: Progress | None = None,
) -> int:
    """Rebuild the projection into a new generation and swap it in; returns the new generation."""
    ensure(db, projection)
    with _exclusive(db, projection.name):
        generation = _new_generation(db, projection)
        applier = Applier(app, db, projection, batch_size)
        while True:
            batch = applier.next_batch(generation, swap_when_caught_up=True)
            if progress is not None:
                progress(batch.position, app.recorder.max_notification_id() or 0, batch.applied)
            if batch.caught_up:
                return generation
