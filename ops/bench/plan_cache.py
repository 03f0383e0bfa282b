"""A plan command on a cached plan, taken from the cache vs deep-copied from it (as before).

One store (PostgreSQL), 8 plans of 200 notes each, in process, one thread: the CPU time of one
add_note when the command takes the cached plan (`Plans._taken`, now) against the same command
on a deep copy of the cached plan (`Plans.plan`, how every command loaded its plan before).
CPU time of this process, not wall time: the store's round trips are the same in both and the
machine is shared. Run: `ops/bench/run --quick --only plan_cache`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench import Bench, Row
from scenarios import NOTE, Eenplan1
from tests.factories import command

from eenplan.domain.plan import HouseholdPlan

PLANS, NOTES = 8, 200


def plan_cache(bench: Bench) -> None:
    """add_note on a cached plan of 200 notes: taken from the cache vs a deep copy of it (before)."""
    store = Eenplan1(bench, "plancache")
    ctx, cmd, plans = store.world.ctx(store.pro), command(**NOTE), store.plans[:PLANS]
    for n in range(PLANS * NOTES):
        store.app.plans.execute(ctx, plans[n % PLANS], cmd)
    repeat = 200 if bench.quick else 1000

    def cpu_ms() -> float:
        started = time.process_time()
        for n in range(repeat):
            store.app.plans.execute(ctx, plans[n % PLANS], cmd)
        return (time.process_time() - started) * 1000 / repeat

    plans_area: Any = store.app.plans
    taken = plans_area._taken

    @contextmanager
    def copied(actor: Any, plan_id: str) -> Iterator[HouseholdPlan]:
        yield plans_area.plan(actor, plan_id)

    # Alternate, twice each, so a slower moment of the machine does not fall on one side only.
    ours, before = [], []
    for _ in range(2):
        plans_area._taken = copied
        before.append(cpu_ms())
        plans_area._taken = taken
        ours.append(cpu_ms())
    bench.add(
        Row(
            f"CPU per add_note, plan of {NOTES}+ notes, in process",
            min(ours),
            min(before),
            "ms",
            "the same command on a deep copy of the cached plan (before)",
        )
    )
    store.app.close()
