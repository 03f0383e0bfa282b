"""Who may touch a plan: tenancy, relations and roles, in memory."""

from __future__ import annotations

import pytest

from eenplan.domain import errors
from eenplan.domain.directory import RegisterOrganisation, RegisterProfessional
from eenplan.domain.values import OrganisationKind
from tests.factories import World, command, ctx_for, in_memory_app, make_world, open_plan_body, uid


@pytest.fixture
def world() -> World:
    return make_world(in_memory_app())


def test_a_caller_from_another_tenant_does_not_find_the_plan(world: World) -> None:
    regisseur = world.pros[world.orgs["welfare"]][0]
    plan_id = world.open(regisseur).plan_id
    stranger = ctx_for(regisseur, world.orgs["welfare"], "auditor", tenants=("GM0363",))
    with pytest.raises(errors.PlanNotFoundError):
        world.app.plans.plan(stranger.actor, plan_id)
    with pytest.raises(errors.PlanNotFoundError):
        world.app.plans.execute(stranger, plan_id, command(type="add_note", category="general", text="x"))


def test_an_uninvolved_professional_does_not_find_the_plan(world: World) -> None:
    regisseur = world.pros[world.orgs["welfare"]][0]
    outsider = world.pros[world.orgs["police"]][0]
    plan_id = world.open(regisseur).plan_id
    with pytest.raises(errors.PlanNotFoundError):
        world.run(outsider, plan_id, type="add_note", category="general", text="x")


def test_an_auditor_sees_but_does_not_change_a_plan(world: World) -> None:
    plan_id = world.open(world.pros[world.orgs["welfare"]][0]).plan_id
    auditor = ctx_for("auditor-1", "gemeente", "auditor", tenants=(world.tenant,))
    assert world.app.plans.plan(auditor.actor, plan_id).tenant == world.tenant
    with pytest.raises(errors.NotAllowedError):
        world.app.plans.execute(auditor, plan_id, command(type="add_note", category="general", text="x"))


def test_a_plan_is_opened_only_in_a_tenant_the_caller_serves(world: World) -> None:
    regisseur = world.pros[world.orgs["welfare"]][0]
    with pytest.raises(errors.NotAllowedError):
        world.app.plans.open_plan(world.ctx(regisseur), open_plan_body(world.team_id, tenant="GM0363"))


def test_a_professional_of_an_organisation_outside_the_tenant_cannot_join(world: World) -> None:
    admin = ctx_for("admin", "x", "admin", tenants=("GM0363",))
    org_id, pro_id = uid("org"), uid("pro")
    world.app.directory.register_organisation(
        admin, RegisterOrganisation(id=org_id, name="x", kind=OrganisationKind.POLICE, tenants=["GM0363"])
    )
    world.app.directory.register_professional(admin, org_id, RegisterProfessional(id=pro_id, name="x"))
    regisseur = world.pros[world.orgs["welfare"]][0]
    plan_id = world.open(regisseur).plan_id
    with pytest.raises(errors.UnknownReferenceError):
        world.run(regisseur, plan_id, type="join_care_team", professional_id=pro_id, role="x")


def test_commands_name_professionals_the_directory_knows(world: World) -> None:
    regisseur = world.pros[world.orgs["welfare"]][0]
    plan_id = world.open(regisseur).plan_id
    with pytest.raises(errors.UnknownReferenceError):
        world.run(regisseur, plan_id, type="join_care_team", professional_id="ghost", role="x")


def test_a_member_id_is_unique_within_a_tenant_but_not_across_tenants(world: World) -> None:
    regisseur = world.pros[world.orgs["welfare"]][0]
    body = open_plan_body(world.team_id, world.tenant).model_dump(mode="json")
    body["household"]["members"][0]["member_id"] = "bsn-less-1"
    from eenplan.domain.commands import OpenPlan

    world.app.plans.open_plan(world.ctx(regisseur), OpenPlan.model_validate(body))
    with pytest.raises(errors.AlreadyExistsError):
        world.app.plans.open_plan(world.ctx(regisseur), OpenPlan.model_validate(body))
    other = make_world(world.app, tenant="GM0363")
    body.update(tenant="GM0363", team_id=other.team_id)
    other_regisseur = other.pros[other.orgs["welfare"]][0]
    world.app.plans.open_plan(other.ctx(other_regisseur), OpenPlan.model_validate(body))


def test_an_organisation_id_is_registered_once(world: World) -> None:
    admin = ctx_for("admin", "x", "admin")
    org = RegisterOrganisation(
        id=world.orgs["police"], name="dup", kind=OrganisationKind.POLICE, tenants=["GM0687"]
    )
    with pytest.raises(errors.AlreadyExistsError):
        world.app.directory.register_organisation(admin, org)
