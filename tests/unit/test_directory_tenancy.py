"""An administrator registers directory entries for their own tenants only."""

from __future__ import annotations

import pytest

from eenplan.domain import errors
from eenplan.domain.directory import RegisterOrganisation, RegisterProfessional, RegisterTeam
from eenplan.domain.values import OrganisationKind
from tests.factories import ctx_for, in_memory_app, make_world, open_plan_body


def test_an_administrator_cannot_register_an_organisation_or_team_for_a_tenant_they_do_not_serve() -> None:
    app = in_memory_app()
    elsewhere = ctx_for("admin", "gemeente", "admin", tenants=("GM0363",))
    body = RegisterOrganisation(id="wmo", name="Wmo", kind=OrganisationKind.WELFARE, tenants=["GM0687"])
    with pytest.raises(errors.NotAllowedError, match="GM0687"):
        app.directory.register_organisation(elsewhere, body)
    both = body.model_copy(update={"tenants": ["GM0363", "GM0687"]})
    with pytest.raises(errors.NotAllowedError, match="GM0687"):
        app.directory.register_organisation(elsewhere, both)
    assert app.directory.visible_organisations(ctx_for("x", "y", tenants=("GM0687",)).actor) == []
    with pytest.raises(errors.NotAllowedError, match="GM0687"):
        app.directory.register_team(elsewhere, RegisterTeam(id="noord", name="Noord", tenant="GM0687"))


def test_an_administrator_cannot_put_a_professional_in_a_team_of_another_tenant() -> None:
    app = in_memory_app()
    here = ctx_for("admin", "gemeente", "admin", tenants=("GM0363", "GM0687"))
    app.directory.register_team(here, RegisterTeam(id="noord", name="Noord", tenant="GM0687"))
    kind = OrganisationKind.WELFARE
    app.directory.register_organisation(
        here, RegisterOrganisation(id="w", name="W", kind=kind, tenants=["GM0363", "GM0687"])
    )
    elsewhere = ctx_for("admin", "gemeente", "admin", tenants=("GM0363",))
    with pytest.raises(errors.UnknownReferenceError, match="unknown team noord"):
        app.directory.register_professional(
            elsewhere, "w", RegisterProfessional(id="p", name="P", team_ids=["noord"])
        )
    app.directory.register_professional(here, "w", RegisterProfessional(id="p", name="P", team_ids=["noord"]))


def test_plans_name_teams_and_professionals_of_other_tenants_as_unknown_revealing_nothing() -> None:
    app = in_memory_app()
    world = make_world(app)
    elsewhere = make_world(app, tenant="GM0363")
    regisseur = world.pros[world.orgs["welfare"]][0]
    foreign_pro = elsewhere.pros[elsewhere.orgs["welfare"]][0]
    for team_id in (elsewhere.team_id, "no-such-team"):
        with pytest.raises(errors.UnknownReferenceError) as refused:
            world.app.plans.open_plan(world.ctx(regisseur), open_plan_body(team_id))
        assert str(refused.value) == f"unknown team {team_id}"
    plan_id = world.open(regisseur).plan_id
    for professional_id in (foreign_pro, "no-such-pro"):
        with pytest.raises(errors.UnknownReferenceError) as refused:
            world.run(regisseur, plan_id, type="join_care_team", professional_id=professional_id, role="x")
        assert str(refused.value) == f"unknown professional {professional_id}"
