#!/usr/bin/env python3
"""Benchmark: replay a 1,000-event plan as of its middle, against loading it at its head.

Standalone (not a test): `ops/bench/replay.py [--events N] [--repeat R] [--database-url URL]`.
Without a URL it uses a throwaway SQLite file. Prints one line per measure and the ratio
(as-of-middle time / head time), so `ops/bench/run` can call it and keep the output.

Both reads bypass the aggregate cache (by naming a version), so each is a real read
from the store: the head load is the nearest snapshot plus the events after it; the
as-of read first finds the version at the moment (binary search over single-event
reads), then does the same from that version's nearest snapshot. A full scan is
measured too, for scale.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.factories import make_world  # noqa: E402

from eenplan.api.bootstrap import build_application  # noqa: E402  (after the path set-up above)
from eenplan.api.settings import Settings  # noqa: E402


def timed(action: Callable[[], object], repeat: int) -> float:
    """The median wall time of `repeat` runs, in milliseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="eenplan-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    app = build_application(Settings(database_url=url, data_dir=workdir / "data"))
    world = make_world(app)
    regisseur = world.pros[world.orgs["welfare"]][0]
    actor = world.ctx(regisseur).actor
    plan_id = world.open(regisseur).plan_id
    while app.repository.get(UUID(plan_id)).version < args.events:
        world.run(regisseur, plan_id, type="add_note", category="general", text="bench")
    events = list(app.repository.event_store.get(UUID(plan_id)))
    middle = events[len(events) // 2].timestamp

    head = len(events)

    def at_head() -> object:
        # Naming the head version skips the aggregate cache: a real read from the store.
        return app.repository.get(UUID(plan_id), version=head)

    def as_of_middle() -> object:
        return app.repository.get(UUID(plan_id), version=app.plans.version_at(actor, plan_id, middle))

    def full_scan() -> object:
        return list(app.repository.event_store.get(UUID(plan_id)))

    head_ms = timed(at_head, args.repeat)
    middle_ms = timed(as_of_middle, args.repeat)
    scan_ms = timed(full_scan, max(3, args.repeat // 5))
    store = url.split(":", 1)[0]
    print(f"replay bench: {len(events)} events, store {store}, median of {args.repeat}")
    print(f"  load at head          {head_ms:8.2f} ms")
    print(f"  replay as of middle   {middle_ms:8.2f} ms")
    print(f"  (decode every event   {scan_ms:8.2f} ms)")
    print(f"  ratio middle/head     {middle_ms / head_ms:8.2f}")
    app.close()


if __name__ == "__main__":
    main()
