"""A help request's contact is personal data: only who needs to know sees the request."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from eenplan.domain import errors
from eenplan.domain.directory import RegisterProfessional, RegisterTeam
from eenplan.domain.intake.commands import HelpRequestCommand
from tests.factories import World, ctx_for, in_memory_app, make_world, uid
from tests.unit.test_help_request_triage import submit

TRIAGE = TypeAdapter(HelpRequestCommand)


def other_team_member(world: World) -> str:
    """A professional of the same organisation, but of a second team of the tenant."""
    app, admin = world.app, ctx_for("admin", "gemeente", "admin")
    team_id, pro_id = uid("team"), uid("pro")
    app.directory.register_team(admin, RegisterTeam(id=team_id, name="Zuid", tenant="GM0687", areas=["Zuid"]))
    org = world.orgs["welfare"]
    app.directory.register_professional(
        admin, org, RegisterProfessional(id=pro_id, name="Pro", team_ids=[team_id])
    )
    world.pros[org].append(pro_id)
    return pro_id


def test_a_professional_without_a_need_to_know_is_told_the_request_does_not_exist() -> None:
    app = in_memory_app()
    world = make_world(app)
    desk, colleague = world.pros[world.orgs["welfare"]]
    request_id = app.intake.submit_help_request(world.ctx(desk), submit()).request_id
    assert app.intake.help_request(world.ctx(desk).actor, request_id).contact["family_name"] == "Jansen"
    with pytest.raises(errors.HelpRequestNotFoundError):
        app.intake.help_request(world.ctx(colleague).actor, request_id)
    with pytest.raises(errors.HelpRequestNotFoundError):
        app.intake.candidates(world.ctx(colleague).actor, request_id)
    with pytest.raises(errors.HelpRequestNotFoundError):
        app.intake.triage(
            world.ctx(colleague), request_id, TRIAGE.validate_python({"type": "record_first_contact"})
        )


def test_the_assigned_professional_and_their_team_see_the_request_and_other_teams_do_not() -> None:
    app = in_memory_app()
    world = make_world(app)
    desk, _ = world.pros[world.orgs["welfare"]]
    assignee, teammate = world.pros[world.orgs["police"]]
    outsider = other_team_member(world)
    request_id = app.intake.submit_help_request(world.ctx(desk), submit()).request_id
    lead = world.ctx(outsider, "team_lead")
    assert app.intake.help_request(lead.actor, request_id).status == "open"  # team leads allocate
    assign = {"type": "assign", "professional_id": assignee, "reason": "knows the family"}
    app.intake.triage(lead, request_id, TRIAGE.validate_python(assign))
    assert app.intake.help_request(world.ctx(assignee).actor, request_id).assignment is not None
    assert app.intake.help_request(world.ctx(teammate).actor, request_id).status == "open"
    for hidden in (world.ctx(outsider), lead):
        with pytest.raises(errors.HelpRequestNotFoundError):
            app.intake.help_request(hidden.actor, request_id)


def test_administrators_and_auditors_of_the_tenant_see_every_request() -> None:
    app = in_memory_app()
    request_id = app.intake.submit_help_request(ctx_for("desk", "gemeente"), submit()).request_id
    for role in ("admin", "auditor"):
        assert app.intake.help_request(ctx_for("x", "gemeente", role).actor, request_id).tenant == "GM0687"
    with pytest.raises(errors.HelpRequestNotFoundError):
        app.intake.help_request(ctx_for("x", "gemeente", "auditor", tenants=("GM0363",)).actor, request_id)
