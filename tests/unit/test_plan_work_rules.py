"""Goals, agreements, consent, conferences, closing: the plan's working rules, in memory."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from eenplan.domain import errors
from tests.factories import World, command, in_memory_app, make_world


@pytest.fixture
def world() -> World:
    return make_world(in_memory_app())


@pytest.fixture
def regisseur(world: World) -> str:
    return world.pros[world.orgs["welfare"]][0]


@pytest.fixture
def plan_id(world: World, regisseur: str) -> str:
    return world.open(regisseur).plan_id


def _goal(world: World, regisseur: str, plan_id: str, domain: str = "finances") -> str:
    world.run(regisseur, plan_id, type="set_goal", goal_id="g1", life_domain=domain, description="schulden")
    return "g1"


def test_progress_is_recorded_only_on_open_goals(world: World, regisseur: str, plan_id: str) -> None:
    goal = _goal(world, regisseur, plan_id)
    world.run(regisseur, plan_id, type="record_progress", goal_id=goal, score=3)
    world.run(regisseur, plan_id, type="close_goal", goal_id=goal, outcome="achieved")
    with pytest.raises(errors.GoalError):
        world.run(regisseur, plan_id, type="record_progress", goal_id=goal, score=4)
    with pytest.raises(errors.GoalError):
        world.run(regisseur, plan_id, type="record_progress", goal_id="unknown", score=4)


@pytest.mark.parametrize("score", [0, 6, "3", 2.5])
def test_a_zrm_score_is_a_whole_number_from_one_to_five(score: object) -> None:
    with pytest.raises(ValidationError):
        command(type="record_progress", goal_id="g1", score=score)


def test_a_goal_names_one_of_the_thirteen_zrm_life_domains() -> None:
    with pytest.raises(ValidationError):
        command(type="set_goal", life_domain="happiness", description="x")


def test_a_goal_takes_the_data_category_of_its_life_domain(
    world: World, regisseur: str, plan_id: str
) -> None:
    _goal(world, regisseur, plan_id, domain="mental_health")
    assert world.app.plans.plan(world.ctx(regisseur).actor, plan_id).goals["g1"]["category"] == "health"


def test_an_agreement_names_an_organisation_on_the_care_team(
    world: World, regisseur: str, plan_id: str
) -> None:
    police_org = world.orgs["police"]
    with pytest.raises(errors.AgreementError):
        world.run(
            regisseur,
            plan_id,
            type="make_agreement",
            responsible={"organisation_id": police_org},
            action="huisbezoek",
            due_date="2030-01-01",
        )
    agent = world.pros[police_org][0]
    world.join(regisseur, plan_id, agent, "agent")
    proposed = world.run(
        regisseur,
        plan_id,
        type="make_agreement",
        responsible={"organisation_id": police_org},
        action="huisbezoek",
        due_date="2030-01-01",
    )
    # No mandate of the police over all its workers: the agreement waits for the police to accept.
    assert proposed.events[0]["type"] == "AgreementProposed"
    accepted = world.run(agent, plan_id, type="accept_proposal", proposal_id=world.proposal(plan_id))
    assert [e["type"] for e in accepted.events] == ["ProposalAccepted", "AgreementMade"]


def test_a_household_member_can_be_responsible_for_an_agreement(
    world: World, regisseur: str, plan_id: str
) -> None:
    member_id = next(iter(world.app.plans.plan(world.ctx(regisseur).actor, plan_id).members))
    world.run(
        regisseur,
        plan_id,
        type="make_agreement",
        agreement_id="a1",
        responsible={"member_id": member_id},
        action="post openen",
        due_date="2030-01-01",
    )
    with pytest.raises(errors.MemberError):
        world.run(
            regisseur,
            plan_id,
            type="make_agreement",
            responsible={"member_id": "nobody"},
            action="x",
            due_date="2030-01-01",
        )


def test_a_completed_agreement_cannot_be_revised_or_cancelled(
    world: World, regisseur: str, plan_id: str
) -> None:
    member_id = next(iter(world.app.plans.plan(world.ctx(regisseur).actor, plan_id).members))
    world.run(
        regisseur,
        plan_id,
        type="make_agreement",
        agreement_id="a1",
        responsible={"member_id": member_id},
        action="x",
        due_date="2030-01-01",
    )
    world.run(regisseur, plan_id, type="complete_agreement", agreement_id="a1")
    with pytest.raises(errors.AgreementError):
        world.run(regisseur, plan_id, type="revise_agreement", agreement_id="a1", action="y", reason="z")
    with pytest.raises(errors.AgreementError):
        world.run(regisseur, plan_id, type="cancel_agreement", agreement_id="a1", reason="z")


def test_consent_is_given_by_a_household_member(world: World, regisseur: str, plan_id: str) -> None:
    police_org = world.orgs["police"]
    with pytest.raises(errors.ConsentError):
        world.run(
            regisseur,
            plan_id,
            type="record_consent",
            organisation_id=police_org,
            categories=["health"],
            purpose="plan_coordination",
            given_by="nobody",
        )


def test_a_withdrawn_consent_cannot_be_withdrawn_again(world: World, regisseur: str, plan_id: str) -> None:
    member_id = next(iter(world.app.plans.plan(world.ctx(regisseur).actor, plan_id).members))
    world.run(
        regisseur,
        plan_id,
        type="record_consent",
        organisation_id=world.orgs["police"],
        categories=["health"],
        purpose="plan_coordination",
        given_by=member_id,
    )
    consent_id = next(iter(world.app.plans.plan(world.ctx(regisseur).actor, plan_id).consents))
    world.run(regisseur, plan_id, type="withdraw_consent", consent_id=consent_id)
    with pytest.raises(errors.ConsentError):
        world.run(regisseur, plan_id, type="withdraw_consent", consent_id=consent_id)


def test_case_conference_attendees_are_on_the_care_team_or_in_the_household(
    world: World, regisseur: str, plan_id: str
) -> None:
    with pytest.raises(errors.ConferenceError):
        world.run(
            regisseur,
            plan_id,
            type="hold_case_conference",
            held_on="2026-01-01",
            attendees=["stranger"],
            decisions=["x"],
        )


def test_the_last_household_member_is_not_removed(world: World, regisseur: str, plan_id: str) -> None:
    member_id = next(iter(world.app.plans.plan(world.ctx(regisseur).actor, plan_id).members))
    with pytest.raises(errors.MemberError):
        world.run(regisseur, plan_id, type="remove_member", member_id=member_id, reason="x")


CLOSED_PLAN_COMMANDS = [
    {"type": "add_note", "category": "general", "text": "x"},
    {"type": "set_goal", "life_domain": "housing", "description": "x"},
    {"type": "assess_risk", "level": "low", "rationale": "x"},
    {
        "type": "change_address",
        "address": {"street": "A", "house_number": "1", "postal_code": "1234 AB", "city": "B"},
    },
    {"type": "close_plan", "reason": "again"},
]


@pytest.mark.parametrize("fields", CLOSED_PLAN_COMMANDS, ids=lambda f: f["type"])
def test_a_closed_plan_takes_no_command_but_reopen(
    world: World, regisseur: str, plan_id: str, fields: dict[str, object]
) -> None:
    world.run(regisseur, plan_id, type="close_plan", reason="klaar")
    with pytest.raises(errors.PlanClosedError):
        world.run(regisseur, plan_id, **fields)
    world.run(regisseur, plan_id, type="reopen_plan", reason="terugval")
    world.run(regisseur, plan_id, **fields)


def test_an_open_plan_is_not_reopened(world: World, regisseur: str, plan_id: str) -> None:
    with pytest.raises(errors.PlanNotClosedError):
        world.run(regisseur, plan_id, type="reopen_plan", reason="x")


def test_every_event_records_actor_time_command_id_and_trace_id(
    world: World, regisseur: str, plan_id: str
) -> None:
    ctx = world.ctx(regisseur)
    world.app.plans.execute(ctx, plan_id, command(type="add_note", category="general", text="x"))
    last = world.app.plans.plan_events(ctx.actor, plan_id)[-1]
    assert last.meta["sub"] == regisseur
    assert last.meta["org"] == world.orgs["welfare"]
    assert last.meta["command_id"] == ctx.command_id
    assert last.meta["trace_id"] == ctx.trace_id
    assert last.timestamp.tzinfo is not None
