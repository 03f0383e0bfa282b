"""The plan on a real store (SQLite and PostgreSQL): snapshots, conflicts, restarts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from eenplan.api.bootstrap import build_application
from eenplan.api.settings import Settings
from eenplan.domain import errors
from eenplan.domain.app import Eenplan
from tests.factories import command, make_world


@pytest.fixture
def app(settings: Settings) -> Any:
    application = build_application(settings)
    yield application
    application.close()


def _replayed(app: Eenplan, plan_id: str) -> Any:
    """The plan rebuilt from every stored event, without snapshots or cache."""
    from uuid import UUID

    aggregate = None
    for event in app.events.get(UUID(plan_id)):
        aggregate = event.mutate(aggregate)
    return aggregate


def test_a_long_plan_loads_from_a_snapshot_and_equals_a_full_replay(app: Eenplan, settings: Settings) -> None:
    world = make_world(app)
    regisseur = world.pros[world.orgs["welfare"]][0]
    plan_id = world.open(regisseur).plan_id
    for i in range(120):
        world.run(regisseur, plan_id, type="add_note", category="general", text=f"note {i}")
    from uuid import UUID

    snapshots = list(app.snapshots.get(UUID(plan_id), desc=True, limit=1)) if app.snapshots else []
    assert snapshots and snapshots[0].originator_version >= 100
    loaded = build_application(settings).plans.plan(world.ctx(regisseur).actor, plan_id)
    assert vars(loaded) == vars(_replayed(app, plan_id))


def test_concurrent_writers_lose_no_update_and_versions_stay_contiguous(
    app: Eenplan, settings: Settings
) -> None:
    world = make_world(app)
    regisseur = world.pros[world.orgs["welfare"]][0]
    plan_id = world.open(regisseur).plan_id
    other = build_application(settings)  # a second process's view of the same store

    def note(i: int) -> None:
        target = app if i % 2 else other
        target.plans.execute(
            world.ctx(regisseur), plan_id, command(type="add_note", category="general", text=f"n{i}")
        )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(note, range(80)))
    other.close()
    events = app.plans.plan_events(world.ctx(regisseur).actor, plan_id)
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
    assert sum(type(e).__name__ == "NoteAdded" for e in events) == 80


def test_a_stale_expected_version_is_refused(app: Eenplan) -> None:
    world = make_world(app)
    regisseur = world.pros[world.orgs["welfare"]][0]
    outcome = world.open(regisseur)
    world.run(regisseur, outcome.plan_id, type="add_note", category="general", text="x")
    with pytest.raises(errors.VersionMismatchError):
        app.plans.execute(
            world.ctx(regisseur),
            outcome.plan_id,
            command(type="add_note", category="general", text="y"),
            if_match=outcome.version,
        )
