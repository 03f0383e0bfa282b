"""The plan guard: every plan command runs inside it, keyed by the plan's canonical id."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from eenplan.domain import errors
from tests.factories import in_memory_app, make_world


def test_a_command_runs_inside_the_plan_guard_and_leaves_it_also_when_refused() -> None:
    app = in_memory_app()
    world = make_world(app)
    regisseur = world.pros[world.orgs["welfare"]][0]
    plan_id = world.open(regisseur).plan_id
    seen: list[tuple[str, str]] = []

    @contextmanager
    def guard(key: str) -> Iterator[None]:
        seen.append(("enter", key))
        try:
            yield
        finally:
            seen.append(("leave", key))

    app.plan_guard = guard
    world.run(regisseur, plan_id.upper(), type="add_note", category="general", text="in de beurt")
    with pytest.raises(errors.DomainError):
        world.run(regisseur, plan_id, type="record_progress", goal_id="no-such-goal", score=3)
    assert seen == [("enter", plan_id), ("leave", plan_id)] * 2
