"""Plans.execute_batch in memory: in order, one save, all or nothing."""

from __future__ import annotations

import pytest

from eenplan.domain import errors
from tests.factories import command, in_memory_app, make_world


def test_a_batch_applies_its_commands_in_order_with_one_version_per_event() -> None:
    world = make_world(in_memory_app())
    pro = world.pros[world.orgs["welfare"]][0]
    opened = world.open(pro)
    cmds = [
        command(type="set_goal", goal_id="g", life_domain="finances", description="budget"),
        command(type="record_progress", goal_id="g", score=2),
    ]
    outcome = world.app.plans.execute_batch(world.ctx(pro), opened.plan_id, cmds)
    assert [(e["type"], e["version"]) for e in outcome.events] == [
        ("GoalSet", opened.version + 1),
        ("ProgressRecorded", opened.version + 2),
    ]


def test_a_failing_command_in_a_batch_saves_nothing_and_names_its_index() -> None:
    world = make_world(in_memory_app())
    pro = world.pros[world.orgs["welfare"]][0]
    opened = world.open(pro)
    cmds = [
        command(type="add_note", category="general", text="eerst"),
        command(type="close_goal", goal_id="missing", outcome="achieved"),
    ]
    with pytest.raises(errors.GoalError) as failed:
        world.app.plans.execute_batch(world.ctx(pro), opened.plan_id, cmds)
    assert failed.value.index == 1
    assert world.app.plans.plan(world.ctx(pro).actor, opened.plan_id).version == opened.version


def test_a_single_command_error_carries_no_index() -> None:
    world = make_world(in_memory_app())
    pro = world.pros[world.orgs["welfare"]][0]
    opened = world.open(pro)
    with pytest.raises(errors.GoalError) as failed:
        world.run(pro, opened.plan_id, type="close_goal", goal_id="missing", outcome="achieved")
    assert failed.value.index is None
