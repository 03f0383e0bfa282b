"""Reorganisations: merges and splits decide each plan's team; a re-run moves nothing twice."""

from __future__ import annotations

from typing import Any

import pytest

from eenplan.api.store.writers import Retrying
from eenplan.domain import errors
from eenplan.domain.directory import RegisterTeam
from eenplan.domain.reorganisation import PlanFacts, Reorganisation, areas_after, check, decide
from tests.factories import ctx_for, in_memory_app, make_world, open_plan_body

SPEC = Reorganisation.model_validate(
    {
        "id": "walcheren",
        "teams": [{"id": "mnw", "name": "Middelburg Noordwest en Veere"}],
        "merge": [{"into": "mnw", "from": ["m-noord", "veere"]}],
        "split": [{"from": "vlis", "into": ["vno", "vmcw"], "default": "vno"}],
        "areas": {"4381": "vmcw"},
    }
)
BEFORE = {"m-noord": ["4331"], "veere": ["veere"], "vlis": ["4381", "4382"], "vno": [], "vmcw": []}


def facts(plan_id: str, team: str, *areas: str, moved_by: frozenset[str] = frozenset()) -> PlanFacts:
    return PlanFacts(plan_id, team, "pro-1", areas, moved_by)


def test_merged_teams_hand_their_plans_and_areas_to_the_new_team() -> None:
    after = areas_after(SPEC, BEFORE)
    assert after["mnw"] == ["4331", "veere"] and after["m-noord"] == [] and after["veere"] == []
    moves = decide(SPEC, [facts("p1", "m-noord", "4331"), facts("p2", "veere", "veere")], after)
    assert {(m.plan_id, m.to_team_id) for m in moves} == {("p1", "mnw"), ("p2", "mnw")}


def test_a_split_sends_each_plan_by_its_area_and_the_rest_to_the_default() -> None:
    after = areas_after(SPEC, BEFORE)
    assert after["vmcw"] == ["4381"] and after["vno"] == ["4382"]
    plans = [facts("p1", "vlis", "4381", "vlissingen"), facts("p2", "vlis", "9999", "elders")]
    assert {(m.plan_id, m.to_team_id) for m in decide(SPEC, plans, after)} == {("p1", "vmcw"), ("p2", "vno")}


def test_plans_already_moved_by_this_reorganisation_are_skipped() -> None:
    plan = facts("p1", "m-noord", "4331", moved_by=frozenset({"walcheren"}))
    assert decide(SPEC, [plan], areas_after(SPEC, BEFORE)) == []


def test_a_file_naming_unknown_teams_or_merging_a_team_twice_is_refused() -> None:
    with pytest.raises(errors.ReorganisationError, match="unknown teams: vno"):
        check(SPEC, {"m-noord", "veere", "vlis", "vmcw"})
    merges = [{"into": "a", "from": ["b"]}, {"into": "c", "from": ["b"]}]
    twice = Reorganisation.model_validate({"merge": merges})
    with pytest.raises(errors.ReorganisationError, match="more than once"):
        check(twice, {"a", "b", "c"})


def test_the_application_moves_each_plan_once_and_keeps_regisseurs() -> None:
    app = in_memory_app()
    world = make_world(app)
    admin = ctx_for("admin", "gemeente", "admin")
    app.directory.register_team(admin, RegisterTeam(id="zuid", name="Zuid", tenant="GM0687", areas=["Zuid"]))
    pros = world.pros[world.orgs["welfare"]]
    opened = [world.open(pros[i % 2]).plan_id for i in range(4)]
    load_before = app.scans.regisseur_load_from_log("GM0687")
    spec: dict[str, Any] = {"id": "r1", "merge": [{"into": "zuid", "from": [world.team_id]}]}
    first = app.reorganisations.reorganise(admin, Reorganisation.model_validate(spec))
    assert first["moved"] == 4 and first["dissolved"] == [world.team_id]
    again = app.reorganisations.reorganise(admin, Reorganisation.model_validate(spec))
    assert again["moved"] == 0 and again["already_moved"] == 4
    assert {app.plans.plan(admin.actor, p).team_id for p in opened} == {"zuid"}
    assert app.scans.regisseur_load_from_log("GM0687") == load_before
    assert app.directory.team(world.team_id).dissolved_into == "zuid"
    assert app.directory.team("zuid").areas == ["Noord", "Zuid"]


def test_the_file_can_name_a_new_regisseur_who_joins_the_care_team() -> None:
    app = in_memory_app()
    world = make_world(app)
    admin = ctx_for("admin", "gemeente", "admin")
    app.directory.register_team(admin, RegisterTeam(id="zuid", name="Zuid", tenant="GM0687"))
    old, new = world.pros[world.orgs["welfare"]]
    plan_id = app.plans.open_plan(world.ctx(old), open_plan_body(world.team_id)).plan_id
    spec = {"id": "r2", "merge": [{"into": "zuid", "from": [world.team_id]}], "regisseurs": {old: new}}
    app.reorganisations.reorganise(admin, Reorganisation.model_validate(spec))
    plan = app.plans.plan(admin.actor, plan_id)
    assert plan.regisseur_id == new and new in plan.care_team and old in plan.care_team


def test_a_dry_run_changes_nothing() -> None:
    app = in_memory_app()
    world = make_world(app)
    admin = ctx_for("admin", "gemeente", "admin")
    app.directory.register_team(admin, RegisterTeam(id="zuid", name="Zuid", tenant="GM0687"))
    plan_id = world.open(world.pros[world.orgs["welfare"]][0]).plan_id
    spec = {"merge": [{"into": "zuid", "from": [world.team_id]}], "dry_run": True}
    summary = app.reorganisations.reorganise(admin, Reorganisation.model_validate(spec))
    assert summary["would_move"] == 1 and summary["moved"] == 0
    assert app.plans.plan(admin.actor, plan_id).team_id == world.team_id
    assert not app.directory.team(world.team_id).dissolved_into


def test_two_runs_of_one_file_at_the_same_time_dissolve_the_team_once_and_fail_neither() -> None:
    app = in_memory_app()
    world = make_world(app)
    admin = ctx_for("admin", "gemeente", "admin")
    app.directory.register_team(admin, RegisterTeam(id="zuid", name="Zuid", tenant="GM0687", areas=["Zuid"]))
    plan_id = world.open(world.pros[world.orgs["welfare"]][0]).plan_id
    spec = Reorganisation.model_validate({"id": "r3", "merge": [{"into": "zuid", "from": [world.team_id]}]})
    app.ports.writes = app.ports.plan_writes = Retrying()  # the store's writers run a conflict again
    load_team = app.directory.team

    def while_another_run_finishes(key: str) -> Any:
        team = load_team(key)
        if key == world.team_id:
            app.directory.team = load_team  # type: ignore[method-assign]
            app.reorganisations.reorganise(admin, spec)  # the other run, done before this one saves
        return team

    app.directory.team = while_another_run_finishes  # type: ignore[method-assign]
    summary = app.reorganisations.reorganise(admin, spec)
    assert summary["moved"] == 0
    assert (
        app.directory.team(world.team_id).dissolved_into == "zuid"
        and app.directory.team(world.team_id).version == 2
    )
    assert app.plans.plan(admin.actor, plan_id).team_id == "zuid"
