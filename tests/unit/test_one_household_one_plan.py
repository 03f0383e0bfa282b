"""One household, one plan, in memory: a match refuses a second plan; merge and split keep the promise."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from eenplan.domain import commands as c
from eenplan.domain import errors
from eenplan.domain.plan.matching import family_name
from tests.factories import World, in_memory_app, make_world, open_plan_body

MOTHER = {
    "given_name": "Fatima",
    "family_name": "el Amrani",
    "birth_date": "1988-04-12",
    "bsn": "123456782",
    "role": "parent",
}
ADDRESS = {"street": "Lange Delft", "house_number": "12", "postal_code": "4331 AB", "city": "Middelburg"}


def body(world: World, *members: dict[str, Any], **extra: Any) -> c.OpenPlan:
    household = {"members": list(members), "address": extra.pop("address", ADDRESS)}
    return open_plan_body(world.team_id, world.tenant, household=household, **extra)


def opened_by(world: World, who: str, *members: dict[str, Any], **extra: Any) -> str:
    return world.app.plans.open_plan(world.ctx(who), body(world, *members, **extra)).plan_id


@pytest.fixture
def world() -> World:
    return make_world(in_memory_app())


def test_names_match_across_case_diacritics_and_prefixes() -> None:
    assert family_name("van der Berg") == family_name("Berg, van der") == family_name("BERG") == "berg"
    assert family_name("Çelik") == family_name("celik")
    assert family_name("El Amrani") == family_name("el amrani")
    assert family_name("Jansen") != family_name("Janssen")


def test_a_second_organisation_gets_a_join_request_not_a_second_plan(world: World) -> None:
    welfare, police = world.pros[world.orgs["welfare"]][0], world.pros[world.orgs["police"]][0]
    first = opened_by(world, welfare, MOTHER)
    with pytest.raises(errors.HouseholdHasPlanError) as refused:
        opened_by(world, police, {**MOTHER, "given_name": "F."})
    facts = refused.value.fields()
    assert "plan_id" not in facts  # the police may not see the plan: they learn it exists
    assert facts["match"] == "bsn"
    assert facts["regisseur"] == {"professional_id": welfare, "organisation_id": world.orgs["welfare"]}
    request = facts["join_request_id"]
    plan = world.app.plans.plan(world.ctx(welfare).actor, first)
    assert plan.proposals[request]["kind"] == "join_request"
    assert plan.proposals[request]["professional_id"] == police
    assert refused.value.concerned == (world.tenant, first, [next(iter(plan.members))])

    # The same refusal again asks nothing twice.
    with pytest.raises(errors.HouseholdHasPlanError) as again:
        opened_by(world, police, MOTHER)
    assert again.value.fields()["join_request_id"] == request

    world.run(welfare, first, type="accept_join_request", proposal_id=request)
    assert police in world.app.plans.plan(world.ctx(welfare).actor, first).care_team


def test_who_sees_the_plan_gets_its_id(world: World) -> None:
    welfare = world.pros[world.orgs["welfare"]][0]
    first = opened_by(world, welfare, MOTHER)
    with pytest.raises(errors.HouseholdHasPlanError) as refused:
        opened_by(world, welfare, MOTHER)
    assert refused.value.fields()["plan_id"] == first
    assert "join_request_id" not in refused.value.fields()


def test_a_declined_join_request_gives_no_place_on_the_team(world: World) -> None:
    welfare, police = world.pros[world.orgs["welfare"]][0], world.pros[world.orgs["police"]][0]
    first = opened_by(world, welfare, MOTHER)
    with pytest.raises(errors.HouseholdHasPlanError) as refused:
        opened_by(world, police, MOTHER)
    request = refused.value.fields()["join_request_id"]
    # The requester does not answer their own request, nor as if they had been asked to join:
    # without a relation to the plan, it is not theirs to see.
    for answer in ("accept_join_request", "accept_proposal"):
        with pytest.raises(errors.NotFoundError):
            world.run(police, first, type=answer, proposal_id=request)
    world.run(welfare, first, type="decline_join_request", proposal_id=request, reason="geen rol")
    plan = world.app.plans.plan(world.ctx(welfare).actor, first)
    assert police not in plan.care_team and plan.proposals[request]["status"] == "declined"


def test_name_and_birth_date_match_without_bsn_and_an_address_strengthens_it(world: World) -> None:
    welfare, social = world.pros[world.orgs["welfare"]][0], world.pros[world.orgs["social_work"]][0]
    no_bsn = {k: v for k, v in MOTHER.items() if k != "bsn"}
    opened_by(world, welfare, no_bsn)
    elsewhere = {**ADDRESS, "house_number": "99"}
    with pytest.raises(errors.HouseholdHasPlanError) as weak:
        opened_by(world, social, {**no_bsn, "family_name": "El Amrani"}, address=elsewhere)
    assert weak.value.fields()["match"] == "name_birth_date"
    with pytest.raises(errors.HouseholdHasPlanError) as strong:
        opened_by(world, social, no_bsn)
    assert strong.value.fields()["match"] == "name_birth_date_address"


def test_an_address_alone_or_another_bsn_is_no_match(world: World) -> None:
    welfare, social = world.pros[world.orgs["welfare"]][0], world.pros[world.orgs["social_work"]][0]
    opened_by(world, welfare, MOTHER)
    student = {"given_name": "Sem", "family_name": "Bakker", "birth_date": "2003-01-01", "role": "adult"}
    opened_by(world, social, student)  # same address, another person: a student house
    namesake = {**MOTHER, "bsn": "111222333"}  # same name and birth date, another BSN: another person
    opened_by(world, social, namesake)


def test_adding_a_member_who_has_a_plan_is_refused_and_nothing_is_saved(world: World) -> None:
    welfare, social = world.pros[world.orgs["welfare"]][0], world.pros[world.orgs["social_work"]][0]
    first = opened_by(world, welfare, MOTHER)
    child = {"given_name": "Yara", "family_name": "Bakker", "birth_date": "2016-02-02", "role": "child"}
    other = opened_by(world, social, child)
    version = world.app.plans.plan(world.ctx(social).actor, other).version
    with pytest.raises(errors.HouseholdHasPlanError):
        world.run(social, other, type="add_member", member=MOTHER)
    assert world.app.plans.plan(world.ctx(social).actor, other).version == version
    world.run(welfare, first, type="close_plan", reason="klaar")
    world.run(social, other, type="add_member", member=MOTHER)  # a closed plan holds nobody
    with pytest.raises(errors.HouseholdHasPlanError):  # and reopening it would make two
        world.run(welfare, first, type="reopen_plan", reason="terugval")


def test_a_second_plan_on_purpose_needs_the_existing_plans_regisseur_or_team_lead(world: World) -> None:
    welfare, social = world.pros[world.orgs["welfare"]][0], world.pros[world.orgs["social_work"]][0]
    child = {"given_name": "Yara", "family_name": "Bakker", "birth_date": "2016-02-02", "role": "child"}
    first = opened_by(world, welfare, child)
    second_plan = {"reason": "co-ouderschap: twee huishoudens"}
    with pytest.raises(errors.NotFoundError):  # no relation to the existing plan: not theirs to decide
        opened_by(world, social, child, second_plan=second_plan)
    second = opened_by(
        world, welfare, child, second_plan=second_plan, address={**ADDRESS, "house_number": "3"}
    )
    plan = world.app.plans.plan(world.ctx(welfare).actor, second)
    assert plan.second_plan == {"reason": second_plan["reason"], "beside_plan_ids": [first]}
    # The two live beside each other: a member added to the first does not match the second.
    world.run(welfare, first, type="add_member", member=MOTHER)


def test_merge_carries_everything_over_and_closes_the_other_plan(world: World) -> None:
    welfare, social = world.pros[world.orgs["welfare"]][0], world.pros[world.orgs["social_work"]][0]
    child = {"given_name": "Yara", "family_name": "Bakker", "birth_date": "2016-02-02", "role": "child"}
    stays = opened_by(world, welfare, MOTHER)
    # A duplicate, as plans opened before matching existed are: here opened beside on purpose.
    goes = opened_by(
        world,
        welfare,
        {**MOTHER, "given_name": "F."},
        child,
        regisseur_id=social,
        second_plan={"reason": "dubbel aangemaakt"},
    )
    world.run(
        social, goes, type="set_goal", goal_id="g1", life_domain="work_education", description="naar school"
    )
    world.run(welfare, stays, type="set_goal", goal_id="g1", life_domain="finances", description="schulden")
    world.run(
        social,
        goes,
        type="make_agreement",
        agreement_id="a1",
        goal_id="g1",
        responsible={"organisation_id": world.orgs["social_work"], "professional_id": social},
        action="bellen",
        due_date="2030-01-01",
    )
    gone = _plan(world, social, goes)
    mother_b = next(m for m, v in gone.members.items() if v["role"] == "parent")
    child_b = next(m for m, v in gone.members.items() if v["role"] == "child")
    world.run(
        social,
        goes,
        type="record_consent",
        organisation_id=world.orgs["police"],
        categories=["general"],
        purpose="plan_coordination",
        given_by=[mother_b],
    )
    proposed = world.run(
        welfare, stays, type="propose_merge", other_plan_id=goes, into="this", reason="één gezin"
    )
    assert [e["type"] for e in proposed.events] == ["MergeProposed"]
    proposal_id = next(k for k, p in _plan(world, social, goes).proposals.items() if p["kind"] == "merge")
    with pytest.raises(errors.MergeError):  # the proposer's side does not answer its own proposal
        world.run(welfare, stays, type="accept_merge", proposal_id=proposal_id)
    world.run(social, goes, type="accept_merge", proposal_id=proposal_id)

    after, closed = _plan(world, welfare, stays), world.app.repository.get(uuid.UUID(goes))
    mother_a = next(iter(_plan(world, welfare, stays).members))
    assert closed.status == "closed" and closed.merged_into == stays
    assert set(after.members) == {mother_a, child_b} and after.members[child_b]["carried_from"] == goes
    assert after.goals["g1"]["life_domain"] == "finances"
    carried_goal = f"g1-{goes[:8]}"
    assert after.goals[carried_goal]["carried_from"] == goes
    assert after.agreements["a1"]["goal_id"] == carried_goal
    (consent,) = [v for v in after.consents.values() if v.get("carried_from") == goes]
    # For the organisation and purpose it was given for, concerning the household it was given in.
    assert consent["organisation_id"] == world.orgs["police"] and consent["purpose"] == "plan_coordination"
    assert consent["given_by"] == [mother_a] and consent["concerning"] == sorted({mother_a, child_b})
    assert social in after.care_team and after.regisseur_id == welfare
    with pytest.raises(errors.MergeError):
        world.run(social, goes, type="reopen_plan", reason="toch niet")
    # The child now lives in the plan that stays: a plan for them elsewhere would be a second one.
    with pytest.raises(errors.HouseholdHasPlanError):
        opened_by(world, social, child)


def _plan(world: World, who: str, plan_id: str) -> Any:
    return world.app.plans.plan(world.ctx(who).actor, plan_id)


def test_split_moves_members_goals_and_agreements_and_links_the_histories(world: World) -> None:
    welfare = world.pros[world.orgs["welfare"]][0]
    teen = {"given_name": "Sami", "family_name": "el Amrani", "birth_date": "2007-09-09", "role": "child"}
    plan_id = opened_by(world, welfare, MOTHER, teen)
    plan = _plan(world, welfare, plan_id)
    teen_id = next(m for m, v in plan.members.items() if v["given_name"] == "Sami")
    world.run(welfare, plan_id, type="set_goal", goal_id="woning", life_domain="housing", description="kamer")
    world.run(
        welfare,
        plan_id,
        type="make_agreement",
        agreement_id="a1",
        goal_id="woning",
        responsible={"organisation_id": world.orgs["welfare"], "professional_id": welfare},
        action="inschrijven",
        due_date="2030-01-01",
    )
    outcome = world.run(
        welfare,
        plan_id,
        type="split_household",
        member_ids=[teen_id],
        goal_ids=["woning"],
        agreement_ids=["a1"],
        reason="gaat op kamers",
    )
    assert [e["type"] for e in outcome.events] == ["HouseholdSplit"]
    after = _plan(world, welfare, plan_id)
    (new_id,) = after.split_into
    new = _plan(world, welfare, new_id)
    assert set(after.members) == set(plan.members) - {teen_id} and set(new.members) == {teen_id}
    assert "woning" in new.goals and "a1" in new.agreements and not after.goals and not after.agreements
    assert new.members[teen_id]["carried_from"] == plan_id and new.regisseur_id == welfare
    assert world.app.repository.get(uuid.UUID(new_id)).version > 1
    # The teen now has a plan of their own: adding them back to the first is refused.
    with pytest.raises(errors.HouseholdHasPlanError):
        world.run(welfare, plan_id, type="add_member", member=teen)
