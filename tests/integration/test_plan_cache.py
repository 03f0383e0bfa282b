"""A plan command works on the cached plan itself, not a copy; one that fails leaves no trace in it.

Each test warms the cache, fails a command after it changed the plan, and then checks that what
the application serves (from its cache) equals the plan replayed from the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import OperationalError

from eenplan.api.bootstrap import build_application
from eenplan.api.settings import Settings
from eenplan.domain import errors
from eenplan.domain.app import Eenplan
from eenplan.domain.values import DataCategory
from tests.factories import World, command, make_world

NOTE = {"type": "add_note", "category": "general"}


@pytest.fixture
def app(settings: Settings) -> Iterator[Eenplan]:
    application = build_application(settings)
    yield application
    application.close()


@pytest.fixture
def world(app: Eenplan) -> World:
    return make_world(app)


def _replayed(app: Eenplan, plan_id: str) -> dict[str, Any]:
    """The plan rebuilt from every stored event, without snapshots or cache."""
    aggregate = None
    for event in app.events.get(UUID(plan_id)):
        aggregate = event.mutate(aggregate)
    return vars(aggregate)


def _served(world: World, who: str, plan_id: str) -> dict[str, Any]:
    return vars(world.app.plans.plan(world.ctx(who).actor, plan_id))


def _warm(world: World) -> tuple[str, str]:
    regisseur = world.pros[world.orgs["welfare"]][0]
    plan_id = world.open(regisseur).plan_id
    world.run(regisseur, plan_id, **NOTE, text="eerste")
    assert UUID(plan_id) in world.app.repository  # loaded, so cached
    return regisseur, plan_id


def test_a_batch_that_breaks_a_rule_after_changing_the_plan_leaves_the_served_plan_as_stored(
    world: World,
) -> None:
    regisseur, plan_id = _warm(world)
    before = _served(world, regisseur, plan_id)
    batch = [command(**NOTE, text="nooit bewaard"), command(type="remove_member", member_id="x", reason="r")]
    with pytest.raises(errors.MemberError):
        world.app.plans.execute_batch(world.ctx(regisseur), plan_id, batch)
    assert _served(world, regisseur, plan_id) == before == _replayed(world.app, plan_id)
    outcome = world.run(regisseur, plan_id, **NOTE, text="tweede")
    assert outcome.version == before["_version"] + 1
    served = _served(world, regisseur, plan_id)
    assert [n["text"] for n in served["notes"]] == ["eerste", "tweede"]
    assert served == _replayed(world.app, plan_id)


def test_a_command_whose_save_conflicts_is_tried_again_on_the_plan_as_stored(
    world: World, settings: Settings
) -> None:
    regisseur, plan_id = _warm(world)
    other = build_application(settings)  # another process, writing between our load and our save
    policy = world.app.ports.write_policy
    assert policy is not None
    authorise = policy.authorise
    cut_in = []

    def authorise_then_let_another_write_first(*args: Any) -> None:
        authorise(*args)
        if not cut_in:
            cut_in.append(True)
            plan = other.repository.get(UUID(plan_id))
            plan.add_note(world.ctx(regisseur), "general", "van de ander")
            other.save(plan)

    policy.authorise = authorise_then_let_another_write_first  # type: ignore[method-assign]
    try:
        world.run(regisseur, plan_id, **NOTE, text="van ons")
    finally:
        policy.authorise = authorise  # type: ignore[method-assign]
        other.close()
    served = _served(world, regisseur, plan_id)
    assert [n["text"] for n in served["notes"]] == ["eerste", "van de ander", "van ons"]
    assert served == _replayed(world.app, plan_id)


def test_a_command_that_meets_a_store_outage_leaves_the_served_plan_as_stored(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    regisseur, plan_id = _warm(world)
    before = _served(world, regisseur, plan_id)

    def outage(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("the store went away")

    with monkeypatch.context() as patch:
        patch.setattr(world.app.recorder, "insert_events", outage)
        with pytest.raises(OperationalError):
            world.run(regisseur, plan_id, **NOTE, text="nooit bewaard")
    assert _served(world, regisseur, plan_id) == before == _replayed(world.app, plan_id)


def test_a_command_refused_before_it_changed_anything_keeps_the_plan_cached(world: World) -> None:
    regisseur, plan_id = _warm(world)
    with pytest.raises(errors.MemberError):
        world.run(regisseur, plan_id, type="remove_member", member_id="x", reason="r")
    assert world.app.repository.cache is not None
    world.app.repository.cache.get(UUID(plan_id))  # KeyError if the refusal threw it out


def test_a_plan_cached_at_a_version_the_store_lacks_is_never_written_on_with_a_gap(world: World) -> None:
    """A cache that outlived a commit that failed (a connection lost during COMMIT) holds a
    version the store does not have. The store refuses the next version on top of it as a
    conflict (api/store/chain.py), the writer reloads, and the history stays without a gap."""
    regisseur, plan_id = _warm(world)
    stored = world.app.repository.get(UUID(plan_id)).version
    cached = world.app.repository.cache.get(UUID(plan_id))  # type: ignore[union-attr]
    cached.add_note(world.ctx(regisseur), DataCategory.GENERAL, "nooit bewaard")
    cached.collect_events()  # as if saved, then lost with the transaction
    assert cached.version == stored + 1

    world.run(regisseur, plan_id, **NOTE, text="na de storing")
    versions = [e.originator_version for e in world.app.events.get(UUID(plan_id))]
    assert versions == list(range(1, stored + 2))  # the command landed on the stored version
    texts = [n["text"] for n in _replayed(world.app, plan_id)["notes"]]
    assert "na de storing" in texts and "nooit bewaard" not in texts
    assert _served(world, regisseur, plan_id) == _replayed(world.app, plan_id)
