"""The write policy: who may change a plan, tried as the partner organisations in issue 12 did."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import pytest

from eenplan.domain import errors
from eenplan.privacy.policy import PolicyError
from eenplan.privacy.write_policy import DEFAULT_FILE, WritePolicy, load_write_policy
from tests.factories import World, command, in_memory_app, make_world


@pytest.fixture
def world() -> World:
    return make_world(in_memory_app(), kinds=("social_work", "police", "mental_health", "welfare"))


def pro(world: World, kind: str, n: int = 0) -> str:
    return world.pros[world.orgs[kind]][n]


@pytest.fixture
def plan_id(world: World) -> str:
    """A plan with a social work regisseur and a police officer on the care team."""
    plan_id = world.open(pro(world, "social_work")).plan_id
    world.join(pro(world, "social_work"), plan_id, pro(world, "police"), "wijkagent")
    return plan_id


def member(world: World, plan_id: str) -> str:
    return next(iter(world.app.repository.get(UUID(plan_id)).members))


def version(world: World, plan_id: str) -> int:
    return int(world.app.repository.get(UUID(plan_id)).version)


STRUCTURE = [
    {"type": "remove_member", "member_id": "@member", "reason": "x"},
    {
        "type": "change_address",
        "address": {"street": "A", "house_number": "1", "postal_code": "4331 AB", "city": "B"},
    },
    {"type": "correct_member", "member_id": "@member", "bsn": "123456782", "reason": "x"},
    {"type": "leave_care_team", "professional_id": "@regisseur", "reason": "x"},
    {"type": "assess_risk", "level": "high", "rationale": "x"},
    {"type": "close_plan", "reason": "x"},
    {"type": "set_goal", "life_domain": "finances", "description": "x"},
]


@pytest.mark.parametrize("body", STRUCTURE, ids=[b["type"] for b in STRUCTURE])
def test_a_care_team_member_who_is_not_the_regisseur_cannot_change_the_plans_structure(
    world: World, plan_id: str, body: dict[str, object]
) -> None:
    fields = {k: member(world, plan_id) if v == "@member" else v for k, v in body.items()}
    fields = {k: pro(world, "social_work") if v == "@regisseur" else v for k, v in fields.items()}
    before = version(world, plan_id)
    with pytest.raises(errors.WriteNotAllowedError) as refused:
        world.run(pro(world, "police"), plan_id, **fields)
    assert refused.value.rule["command"] == body["type"] and "regisseur" in refused.value.rule["allowed"]
    assert version(world, plan_id) == before


def test_a_care_team_member_adds_their_own_notes_and_progress(world: World, plan_id: str) -> None:
    outcome = world.run(pro(world, "police"), plan_id, type="add_note", category="justice", text="melding")
    assert outcome.events[0]["type"] == "NoteAdded"


def test_an_organisation_without_a_relation_gets_not_found_for_every_command(
    world: World, plan_id: str
) -> None:
    outsider = pro(world, "mental_health")
    for body in (
        {"type": "add_note", "category": "general", "text": "x"},
        {"type": "close_plan", "reason": "x"},
    ):
        with pytest.raises(errors.PlanNotFoundError):
            world.run(outsider, plan_id, **body)


def test_the_police_cannot_give_itself_consent_nor_can_the_regisseur_for_its_own_organisation(
    world: World, plan_id: str
) -> None:
    consent = {
        "type": "record_consent",
        "categories": ["health"],
        "purpose": "plan_coordination",
        "given_by": member(world, plan_id),
    }
    with pytest.raises(errors.WriteNotAllowedError):
        world.run(pro(world, "police"), plan_id, organisation_id=world.orgs["police"], **consent)
    with pytest.raises(errors.NotAllowedError, match="never by the organisation that receives it"):
        world.run(pro(world, "social_work"), plan_id, organisation_id=world.orgs["social_work"], **consent)
    outsider = pro(world, "mental_health")  # named in a consent it records itself: still no plan
    with pytest.raises(errors.PlanNotFoundError):
        world.run(outsider, plan_id, organisation_id=world.orgs["mental_health"], **consent)


def test_a_consent_names_a_processing_activity_as_its_purpose(world: World, plan_id: str) -> None:
    with pytest.raises(errors.IncompleteCommandError, match="not a processing activity"):
        world.run(
            pro(world, "social_work"),
            plan_id,
            type="record_consent",
            organisation_id=world.orgs["mental_health"],
            categories=["health"],
            purpose="afstemming",
            given_by=member(world, plan_id),
        )


def test_another_organisations_worker_is_asked_not_placed_without_a_mandate(world: World) -> None:
    regisseur, nurse = pro(world, "social_work"), pro(world, "mental_health")
    plan_id = world.open(regisseur).plan_id
    asked = world.run(regisseur, plan_id, type="join_care_team", professional_id=nurse, role="ggz")
    assert [e["type"] for e in asked.events] == ["CareTeamProposed"]
    plan = world.app.repository.get(UUID(plan_id))
    assert nurse not in plan.care_team
    with pytest.raises(errors.PlanNotFoundError):  # another professional cannot answer for her
        world.run(
            pro(world, "social_work", 1), plan_id, type="accept_proposal", proposal_id=f"careteam-{nurse}"
        )
    declined = world.run(
        nurse, plan_id, type="decline_proposal", proposal_id=f"careteam-{nurse}", reason="vol"
    )
    assert [e["type"] for e in declined.events] == ["ProposalDeclined"]
    with pytest.raises(errors.PlanNotFoundError):  # declined: nothing ties her to the plan any more
        world.run(nurse, plan_id, type="accept_proposal", proposal_id=f"careteam-{nurse}")
    again = world.run(regisseur, plan_id, type="join_care_team", professional_id=nurse, role="ggz")
    assert [e["type"] for e in again.events] == ["CareTeamProposed"]  # she may be asked again
    with pytest.raises(errors.ProposalError):  # but not twice at once
        world.run(regisseur, plan_id, type="join_care_team", professional_id=nurse, role="ggz")


def test_the_organisation_itself_may_accept_for_its_worker(world: World) -> None:
    regisseur, nurse = pro(world, "social_work"), pro(world, "mental_health")
    plan_id = world.open(regisseur).plan_id
    world.run(regisseur, plan_id, type="join_care_team", professional_id=nurse, role="ggz")
    manager = world.ctx(pro(world, "mental_health", 1), "team_lead")
    outcome = world.app.plans.execute(
        manager, plan_id, command(type="accept_proposal", proposal_id=f"careteam-{nurse}")
    )
    assert [e["type"] for e in outcome.events] == ["ProposalAccepted", "CareTeamJoined"]


def _grant(world: World, plan_id: str, kind: str, scope: object, valid_until: str | None = None) -> str:
    chief = world.ctx(pro(world, kind), "team_lead")
    world.app.plans.execute(
        chief,
        plan_id,
        command(type="grant_mandate", organisation_id=world.orgs[kind], scope=scope, valid_until=valid_until),
    )
    plan = world.app.repository.get(UUID(plan_id))
    return str(list(plan.mandates)[-1])


def test_under_a_mandate_the_regisseur_directs_the_covered_workers_at_once(
    world: World, plan_id: str
) -> None:
    regisseur, colleague = pro(world, "social_work"), pro(world, "police", 1)
    _grant(world, plan_id, "police", [colleague])
    joined = world.run(regisseur, plan_id, type="join_care_team", professional_id=colleague, role="recherche")
    assert [e["type"] for e in joined.events] == ["CareTeamJoined"]
    agreement = world.run(
        regisseur,
        plan_id,
        type="make_agreement",
        responsible={"organisation_id": world.orgs["police"], "professional_id": colleague},
        action="huisbezoek",
        due_date="2030-01-01",
    )
    assert [e["type"] for e in agreement.events] == ["AgreementMade"]
    # The mandate names one worker: an agreement with the organisation as a whole is still asked.
    whole = world.run(
        regisseur,
        plan_id,
        type="make_agreement",
        responsible={"organisation_id": world.orgs["police"]},
        action="surveillance",
        due_date="2030-01-01",
    )
    assert [e["type"] for e in whole.events] == ["AgreementProposed"]


def test_a_revoked_or_expired_mandate_no_longer_directs(world: World, plan_id: str) -> None:
    regisseur, colleague = pro(world, "social_work"), pro(world, "police", 1)
    mandate_id = _grant(world, plan_id, "police", "all")
    chief = world.ctx(pro(world, "police"), "team_lead")
    world.app.plans.execute(
        chief, plan_id, command(type="revoke_mandate", mandate_id=mandate_id, reason="klaar")
    )
    asked = world.run(regisseur, plan_id, type="join_care_team", professional_id=colleague, role="recherche")
    assert [e["type"] for e in asked.events] == ["CareTeamProposed"]

    other = world.open(regisseur).plan_id
    world.join(regisseur, other, pro(world, "police"), "wijkagent")
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    _grant(world, other, "police", "all", valid_until=yesterday)
    expired = world.run(regisseur, other, type="join_care_team", professional_id=colleague, role="recherche")
    assert [e["type"] for e in expired.events] == ["CareTeamProposed"]


def test_only_the_organisation_grants_or_revokes_its_mandate(world: World, plan_id: str) -> None:
    with pytest.raises(errors.WriteNotAllowedError):  # the worker alone is not the organisation
        world.run(
            pro(world, "police"),
            plan_id,
            type="grant_mandate",
            organisation_id=world.orgs["police"],
            scope="all",
        )
    with pytest.raises(errors.WriteNotAllowedError):  # nor is the regisseur
        world.run(
            pro(world, "social_work"),
            plan_id,
            type="grant_mandate",
            organisation_id=world.orgs["police"],
            scope="all",
        )


def test_the_policy_file_must_say_something_of_every_command() -> None:
    text = DEFAULT_FILE.read_text()
    with pytest.raises(PolicyError, match="add_note"):
        WritePolicy.parse(text.replace("  add_note: [regisseur, care_team, mandate]\n", ""))
    with pytest.raises(PolicyError, match="rules"):
        WritePolicy.parse(text.replace("add_note: [regisseur, care_team, mandate]", "add_note: [anyone]"))
    with pytest.raises(PolicyError, match="unknown commands"):
        WritePolicy.parse(text + "  open_the_vault: [regisseur]\n")
    assert load_write_policy().version and len(load_write_policy().sha256) == 64
