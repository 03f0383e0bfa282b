"""The store's writers: a plan's writers take turns (inside the guard, keyed by the plan's canonical
id); a conflicting attempt runs again, up to a bound, then answers 409 with what kept changing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from eenplan.api.store.writers import PlanWriters, Retrying
from eenplan.domain import errors
from eenplan.domain.app.ports import Conflict, OneAttempt
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

    app.ports.plan_writes = PlanWriters(guard=guard)
    world.run(regisseur, plan_id.upper(), type="add_note", category="general", text="in de beurt")
    with pytest.raises(errors.DomainError):
        world.run(regisseur, plan_id, type="record_progress", goal_id="no-such-goal", score=3)
    assert seen == [("enter", plan_id), ("leave", plan_id)] * 2


def test_a_conflicting_attempt_runs_again_from_the_start_until_it_goes_through() -> None:
    tries: list[int] = []

    def attempt() -> str:
        tries.append(len(tries))
        if len(tries) < 3:
            raise Conflict("plan p kept changing; try again")
        return "saved"

    assert Retrying(retries=5).run("plan:p", attempt) == "saved"
    assert tries == [0, 1, 2]


def test_writers_give_up_after_their_bound_with_what_kept_changing() -> None:
    tries: list[int] = []

    def attempt() -> None:
        tries.append(1)
        raise Conflict("help request r kept changing; try again")

    with pytest.raises(errors.ConcurrencyError, match="help request r kept changing"):
        PlanWriters(retries=4).run("plan:p", attempt)
    assert len(tries) == 4
    tries.clear()
    with pytest.raises(errors.ConcurrencyError, match="help request r kept changing"):
        OneAttempt().run("plan:p", attempt)
    assert len(tries) == 1


def test_a_refusal_is_not_retried() -> None:
    tries: list[int] = []

    def attempt() -> None:
        tries.append(1)
        raise errors.NotAllowedError("no")

    with pytest.raises(errors.NotAllowedError):
        PlanWriters().run("plan:p", attempt)
    assert tries == [1]
