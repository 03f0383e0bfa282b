"""Replay on a real store: a long plan read at any version or moment equals a rebuild from scratch."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest

from eenplan.api.bootstrap import build_application
from eenplan.api.settings import Settings
from eenplan.domain.app import Eenplan
from eenplan.domain.errors import PlanNotFoundError
from eenplan.domain.plan import HouseholdPlan
from eenplan.privacy.views import plan_view
from tests.factories import command, make_world

EVENTS = 1000
DAY = date(2026, 1, 1)


def long_plan(app: Eenplan, events: int, batch: int = 1) -> tuple[Any, str]:
    """A plan of `events` events: notes added `batch` to a save."""
    world = make_world(app)
    regisseur = world.pros[world.orgs["welfare"]][0]
    plan_id = world.open(regisseur).plan_id
    ctx = world.ctx(regisseur)
    version = app.repository.get(UUID(plan_id)).version
    for start in range(0, events - version, batch):
        count = min(batch, events - version - start)
        notes = [command(type="add_note", category="general", text=f"note {start + k}") for k in range(count)]
        app.plans.execute_batch(ctx, plan_id, notes)
    return ctx.actor, plan_id


def from_scratch(app: Eenplan, plan_id: str, version: int) -> HouseholdPlan:
    """Fold the stored events one by one, no snapshot, no cache."""
    plan: Any = None
    for event in app.repository.event_store.get(UUID(plan_id), lte=version):
        plan = event.mutate(plan)
    return plan


@pytest.mark.slow
def test_a_thousand_event_plan_at_every_fiftieth_version_equals_its_rebuild_from_scratch(
    settings: Settings,
) -> None:
    app = build_application(settings)
    actor, plan_id = long_plan(app, EVENTS, batch=10)  # a snapshot at each batch passing 50
    assert app.snapshots is not None and list(app.snapshots.get(UUID(plan_id)))  # replay uses snapshots

    for version in range(50, EVENTS + 1, 50):
        replayed = app.plans.plan(actor, plan_id, version=version)
        rebuilt = from_scratch(app, plan_id, version)
        assert replayed.version == rebuilt.version == version
        assert plan_view(replayed, "auditor", DAY) == plan_view(rebuilt, "auditor", DAY)
    app.close()


def test_a_moment_resolves_to_the_last_event_at_or_before_it(settings: Settings) -> None:
    app = build_application(settings)
    actor, plan_id = long_plan(app, 120)
    events = list(app.repository.event_store.get(UUID(plan_id)))

    for event in events[::7]:
        version = event.originator_version
        assert app.plans.version_at(actor, plan_id, event.timestamp) == version
        between = (
            event.timestamp + (events[version].timestamp - event.timestamp) / 2 if version < 120 else None
        )
        if between is not None and between > event.timestamp:
            assert app.plans.version_at(actor, plan_id, between) == version
    assert app.plans.version_at(actor, plan_id, events[-1].timestamp + timedelta(days=1)) == 120
    app.close()


def test_a_moment_before_the_plan_existed_is_not_found(settings: Settings) -> None:
    app = build_application(settings)
    actor, plan_id = long_plan(app, 5)
    first = next(iter(app.repository.event_store.get(UUID(plan_id))))

    with pytest.raises(PlanNotFoundError):
        app.plans.version_at(actor, plan_id, first.timestamp - timedelta(microseconds=1))
    app.close()


def test_a_plan_saved_in_batches_is_snapshotted_as_saved_and_reads_at_every_version_as_rebuilt(
    settings: Settings,
) -> None:
    """Batches of seven pass the interval of 50 in their middle: the snapshot is of the plan as
    saved, at the batch's last version; every version, before and after one, reads as rebuilt."""
    app = build_application(settings)
    world = make_world(app)
    regisseur = world.pros[world.orgs["welfare"]][0]
    plan_id = world.open(regisseur).plan_id
    ctx = world.ctx(regisseur)
    for n in range(16):  # to about version 115: past 50 and 100, each inside a batch
        notes = [command(type="add_note", category="general", text=f"note {n}.{k}") for k in range(7)]
        app.plans.execute_batch(ctx, plan_id, notes)
    snapshots = [s.originator_version for s in app.snapshots.get(UUID(plan_id))] if app.snapshots else []
    assert snapshots and any(v % 50 for v in snapshots)  # taken at the end of a batch, past the 50
    head = app.repository.get(UUID(plan_id)).version
    fresh = build_application(settings)  # no cache: each read starts from the snapshot before it
    rebuilt: Any = None
    for event in fresh.repository.event_store.get(UUID(plan_id), lte=head):  # folded once, in order
        rebuilt = event.mutate(rebuilt)
        version = event.originator_version
        replayed = fresh.plans.plan(ctx.actor, plan_id, version=version)
        assert plan_view(replayed, "auditor", DAY) == plan_view(rebuilt, "auditor", DAY), version
    fresh.close()
    app.close()
