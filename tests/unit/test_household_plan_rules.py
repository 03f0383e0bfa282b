"""The household plan's rules, in memory: each broken rule raises its named domain error."""

from __future__ import annotations

import pytest

from eenplan.domain import errors
from tests.factories import World, ctx_for, in_memory_app, make_world, open_plan_body


@pytest.fixture
def world() -> World:
    return make_world(in_memory_app())


def _pros(world: World, kind: str) -> list[str]:
    return world.pros[world.orgs[kind]]


def test_the_opener_becomes_regisseur_and_joins_the_care_team(world: World) -> None:
    opener = _pros(world, "welfare")[0]
    plan = world.app.plans.plan(world.ctx(opener).actor, world.open(opener).plan_id)
    assert plan.regisseur_id == opener
    assert plan.care_team[opener]["organisation_id"] == world.orgs["welfare"]


def test_a_named_regisseur_joins_the_care_team_beside_the_opener(world: World) -> None:
    opener, regisseur = _pros(world, "welfare")[0], _pros(world, "social_work")[0]
    plan_id = world.open(opener, regisseur_id=regisseur).plan_id
    plan = world.app.plans.plan(world.ctx(opener).actor, plan_id)
    assert plan.regisseur_id == regisseur
    assert set(plan.care_team) == {opener, regisseur}


def test_a_plan_has_exactly_one_regisseur_once_assigned(world: World) -> None:
    opener, other = _pros(world, "welfare")
    plan_id = world.open(opener).plan_id
    world.join(opener, plan_id, other, "support")
    lead = world.ctx(opener, "professional", "team_lead")
    with pytest.raises(errors.RegisseurAlreadyAssignedError):
        world.app.plans.execute(lead, plan_id, _cmd(type="assign_regisseur", professional_id=other))


def _partner_opened_plan(world: World) -> str:
    """A plan opened by a partner system names no regisseur, so it has none."""
    org = world.orgs["welfare"]
    ctx = ctx_for("system-x", org, "partner_system", tenants=(world.tenant,))
    return world.app.plans.open_plan(ctx, open_plan_body(world.team_id, world.tenant)).plan_id


def test_a_regisseur_is_assigned_only_from_the_care_team(world: World) -> None:
    plan_id = _partner_opened_plan(world)
    lead, candidate = _pros(world, "social_work")
    lead_ctx = ctx_for(lead, world.orgs["social_work"], "professional", "team_lead", tenants=(world.tenant,))
    with pytest.raises(errors.NotOnCareTeamError):
        world.app.plans.execute(lead_ctx, plan_id, _cmd(type="assign_regisseur", professional_id=candidate))
    world.app.plans.execute(
        lead_ctx, plan_id, _cmd(type="join_care_team", professional_id=candidate, role="sw")
    )
    world.app.plans.execute(lead_ctx, plan_id, _cmd(type="assign_regisseur", professional_id=candidate))
    assert world.app.plans.plan(lead_ctx.actor, plan_id).regisseur_id == candidate


def test_medium_and_high_risk_need_a_regisseur(world: World) -> None:
    admin_ctx = ctx_for("system-x", world.orgs["welfare"], "partner_system", tenants=(world.tenant,))
    with pytest.raises(errors.RegisseurRequiredError):
        world.app.plans.open_plan(admin_ctx, open_plan_body(world.team_id, world.tenant, risk_level="high"))
    opener = _pros(world, "welfare")[0]
    plan_id = world.open(opener).plan_id
    outcome = world.run(opener, plan_id, type="assess_risk", level="medium", rationale="zorgen")
    assert outcome.events[0]["type"] == "RiskAssessed"


def test_a_handover_is_proposed_then_accepted_by_the_proposed_professional(world: World) -> None:
    regisseur, successor = _pros(world, "welfare")
    plan_id = world.open(regisseur).plan_id
    world.join(regisseur, plan_id, successor, "support")
    world.run(regisseur, plan_id, type="propose_handover", to_professional_id=successor, note="warm")
    with pytest.raises(errors.NotAllowedError):
        world.run(regisseur, plan_id, type="accept_handover")
    world.run(successor, plan_id, type="accept_handover")
    plan = world.app.plans.plan(world.ctx(successor).actor, plan_id)
    assert plan.regisseur_id == successor and plan.handover is None


def test_a_handover_goes_only_to_a_care_team_member(world: World) -> None:
    regisseur, outsider = _pros(world, "welfare")
    plan_id = world.open(regisseur).plan_id
    with pytest.raises(errors.NotOnCareTeamError):
        world.run(regisseur, plan_id, type="propose_handover", to_professional_id=outsider, note="x")


def test_only_the_regisseur_or_a_team_lead_proposes_a_handover(world: World) -> None:
    regisseur, member = _pros(world, "welfare")
    plan_id = world.open(regisseur).plan_id
    world.join(regisseur, plan_id, member, "support")
    with pytest.raises(errors.NotAllowedError):
        world.run(member, plan_id, type="propose_handover", to_professional_id=member, note="x")
    lead_ctx = ctx_for(member, world.orgs["welfare"], "professional", "team_lead", tenants=(world.tenant,))
    world.app.plans.execute(
        lead_ctx, plan_id, _cmd(type="propose_handover", to_professional_id=member, note="x")
    )
    assert world.app.plans.plan(lead_ctx.actor, plan_id).handover["to_professional_id"] == member


def test_a_second_handover_waits_until_the_first_is_declined(world: World) -> None:
    regisseur, successor = _pros(world, "welfare")
    plan_id = world.open(regisseur).plan_id
    world.join(regisseur, plan_id, successor, "support")
    world.run(regisseur, plan_id, type="propose_handover", to_professional_id=successor, note="x")
    with pytest.raises(errors.HandoverError):
        world.run(regisseur, plan_id, type="propose_handover", to_professional_id=successor, note="y")
    world.run(successor, plan_id, type="decline_handover", reason="vol")
    with pytest.raises(errors.WriteNotAllowedError):  # nothing proposes them any more
        world.run(successor, plan_id, type="accept_handover")


def test_the_regisseur_cannot_leave_the_care_team(world: World) -> None:
    regisseur = _pros(world, "welfare")[0]
    plan_id = world.open(regisseur).plan_id
    with pytest.raises(errors.RegisseurRequiredError):
        world.run(regisseur, plan_id, type="leave_care_team", professional_id=regisseur, reason="x")


def test_a_mandate_is_granted_only_by_an_organisation_on_the_care_team(world: World) -> None:
    regisseur = _pros(world, "welfare")[0]
    police = _pros(world, "police")[0]
    plan_id = world.open(regisseur).plan_id
    world.join(regisseur, plan_id, police, "wijkagent")
    with pytest.raises(errors.WriteNotAllowedError):  # welfare cannot grant for the social work organisation
        world.run(
            regisseur, plan_id, type="grant_mandate", organisation_id=world.orgs["social_work"], scope="all"
        )
    social_work_lead = world.ctx(_pros(world, "social_work")[0], "team_lead")
    with pytest.raises(errors.MandateError):  # its own organisation, but it has nobody on the care team
        world.app.plans.execute(
            social_work_lead,
            plan_id,
            _cmd(type="grant_mandate", organisation_id=world.orgs["social_work"], scope="all"),
        )
    outcome = world.app.plans.execute(
        world.ctx(police, "team_lead"),
        plan_id,
        _cmd(type="grant_mandate", organisation_id=world.orgs["police"], scope="all"),
    )
    assert outcome.events[0]["type"] == "MandateGranted"


def test_a_mandate_is_revoked_only_by_the_organisation_that_granted_it(world: World) -> None:
    regisseur = _pros(world, "welfare")[0]
    police = _pros(world, "police")[0]
    plan_id = world.open(regisseur).plan_id
    world.join(regisseur, plan_id, police, "wijkagent")
    chief = world.ctx(police, "team_lead")
    world.app.plans.execute(
        chief, plan_id, _cmd(type="grant_mandate", organisation_id=world.orgs["police"], scope=[police])
    )
    mandate_id = next(iter(world.app.plans.plan(world.ctx(police).actor, plan_id).mandates))
    with pytest.raises(errors.WriteNotAllowedError):  # only the organisation that granted it
        world.run(regisseur, plan_id, type="revoke_mandate", mandate_id=mandate_id, reason="x")
    world.app.plans.execute(
        chief, plan_id, _cmd(type="revoke_mandate", mandate_id=mandate_id, reason="klaar")
    )
    assert world.app.plans.plan(world.ctx(police).actor, plan_id).mandates[mandate_id]["status"] == "revoked"


def test_a_mandate_scope_names_only_the_granting_organisations_workers(world: World) -> None:
    regisseur = _pros(world, "welfare")[0]
    police = _pros(world, "police")[0]
    plan_id = world.open(regisseur).plan_id
    world.join(regisseur, plan_id, police, "wijkagent")
    with pytest.raises(errors.MandateError):
        world.app.plans.execute(
            world.ctx(police, "team_lead"),
            plan_id,
            _cmd(type="grant_mandate", organisation_id=world.orgs["police"], scope=[regisseur]),
        )


def test_a_worker_under_a_mandate_may_act_on_the_plan(world: World) -> None:
    regisseur = _pros(world, "welfare")[0]
    agent, colleague = _pros(world, "police")
    plan_id = world.open(regisseur).plan_id
    world.join(regisseur, plan_id, agent, "wijkagent")
    with pytest.raises(errors.PlanNotFoundError):
        world.run(colleague, plan_id, type="add_note", category="justice", text="x")
    chief = world.ctx(agent, "team_lead")
    world.app.plans.execute(
        chief, plan_id, _cmd(type="grant_mandate", organisation_id=world.orgs["police"], scope="all")
    )
    world.run(colleague, plan_id, type="add_note", category="justice", text="melding")
    plan = world.app.plans.plan(world.ctx(colleague).actor, plan_id)
    assert plan.relation_of(world.ctx(colleague).actor, world.ctx(colleague).today) == "mandate"


def _cmd(**fields: object) -> object:
    from tests.factories import command

    return command(**fields)
