#!/usr/bin/env python3
"""Benchmark: how fast the projections follow and rebuild from the event log.

    .venv/bin/python ops/bench/projection_throughput.py [--plans N] [--url sqlite:////tmp/x.db | postgresql://...]

Writes N plans (each opened with a risk level, an agreement, a goal and a note), then times
catching up from position 0 (the runner) and a blue-green rebuild of `plans`, in events per second.
The baseline, measured in the same run, is reading and decoding the whole log in batches of the
same size: a rebuild cannot beat it, so the ratio says how much the view writes cost on top.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from typing import Any  # noqa: E402

from tests.factories import command, make_world  # noqa: E402

from eenplan.api.bootstrap import build  # noqa: E402 - after the path set-up above
from eenplan.api.settings import Settings  # noqa: E402
from eenplan.domain.context import Actor  # noqa: E402
from eenplan.projections.queries import Filters  # noqa: E402


def load(container: object, plans: int) -> int:
    app = container.eenplan  # type: ignore[attr-defined]
    world = make_world(app)
    container.bench_team = world.team_id  # type: ignore[attr-defined]
    who = world.pros[world.orgs["welfare"]][0]
    responsible = {"organisation_id": world.orgs["welfare"]}
    for _ in range(plans):
        plan_id = world.open(who, risk_level="low").plan_id
        for fields in (
            {"type": "make_agreement", "responsible": responsible, "action": "x", "due_date": "2030-01-01"},
            {"type": "set_goal", "life_domain": "finances", "description": "x"},
            {"type": "add_note", "category": "general", "text": "x"},
        ):
            app.plans.execute(world.ctx(who), plan_id, command(**fields))
    return int(app.recorder.max_notification_id() or 0)


def read_and_decode(app: Any, batch_size: int = 1000) -> float:
    """Seconds to read the whole log and decode every event: the floor of any catch-up."""
    started = time.perf_counter()
    position = 0
    while True:
        notifications = app.recorder.select_notifications(position + 1, batch_size, inclusive_of_start=True)
        for n in notifications:
            app.mapper.to_domain_event(n)
        if len(notifications) < batch_size:
            break
        position = notifications[-1].id
    return time.perf_counter() - started


def time_reads(container: Any, repeat: int = 20) -> dict[str, float]:
    """Milliseconds per read: an auditor's first page of 50, the overdue filter, a caseload page."""
    auditor = Actor("auditor", "gemeente", frozenset({"auditor"}), frozenset({"GM0687"}))
    reads = {
        "plans page of 50": lambda: container.projections.plans(auditor, Filters(), None, 50),
        "plans overdue=false page of 50": lambda: container.projections.plans(
            auditor, Filters(overdue=False), None, 50
        ),
        "team dashboard": lambda: container.projections.dashboard(auditor, container.bench_team),
    }
    timings = {}
    for what, read in reads.items():
        started = time.perf_counter()
        for _ in range(repeat):
            read()
        timings[what] = (time.perf_counter() - started) * 1000 / repeat
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plans", type=int, default=500)
    parser.add_argument("--url", default=f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp())
    settings = Settings(database_url=args.url, data_dir=data_dir, projections_in_process=False)
    container = build(settings)
    try:
        events = load(container, args.plans)
        runner = container.projections.runner()
        started = time.perf_counter()
        while runner.run_once():
            pass
        runner.locks.close()
        follow = time.perf_counter() - started
        decoded = min(read_and_decode(container.eenplan) for _ in range(3))
        started = time.perf_counter()
        container.projections.rebuild("plans")
        rebuilt = time.perf_counter() - started
        reads = time_reads(container)
    finally:
        container.close()
    store = args.url.split(":", 1)[0]
    print(f"{store}: {events} events; both projections caught up from 0 in {follow:.1f}s")
    print(f"{store}: read + decode of the log {events / decoded:,.0f} events/s (the baseline)")
    print(
        f"{store}: rebuild of plans {events / rebuilt:,.0f} events/s, {decoded / rebuilt:.2f}x read + decode"
    )
    for what, ms in reads.items():
        print(f"{store}: {what}: {ms:.1f} ms")


if __name__ == "__main__":
    main()
