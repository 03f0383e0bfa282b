"""The directory: organisations, their professionals and partner systems, and teams (admin registers).

Tokens are checked against it (`api/http/claims.py`): a professional who moves or leaves, or a
partner system that retires, is recorded here, and their tokens stop matching.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Response

from eenplan.api.http import replies
from eenplan.api.http.commanding import AdminCommand, created, ok
from eenplan.api.http.deps import CallerDep, ContainerDep
from eenplan.api.http.replies import organisation_public as _organisation
from eenplan.api.http.replies import professional_public as _professional
from eenplan.api.http.replies import system_public as _system
from eenplan.api.http.replies import team_public as _team
from eenplan.api.http.schemas.public import OrganisationPublic, ProfessionalPublic, SystemPublic, TeamPublic
from eenplan.domain.directory import (
    Organisation,
    PartnerSystem,
    Professional,
    ProfessionalCommand,
    RegisterOrganisation,
    RegisterProfessional,
    RegisterSystem,
    RegisterTeam,
    RetireSystem,
    Team,
)
from eenplan.domain.errors import NotFoundError, UnknownReferenceError

router = APIRouter(tags=["directory"])


@router.post("/organisations", status_code=201, response_model=OrganisationPublic)
def create_organisation(body: RegisterOrganisation, call: AdminCommand, container: ContainerDep) -> Response:
    """Register an organisation (role admin)."""
    return call.run(
        body,
        lambda c: container.eenplan.directory.register_organisation(c, body),
        lambda org: created(_organisation(org), f"/organisations/{body.id}"),
        replies.recall_latest(container, Organisation),
    )


@router.get("/organisations", response_model=list[OrganisationPublic])
def read_organisations(caller: CallerDep, container: ContainerDep) -> list[OrganisationPublic]:
    """Organisations serving any of the caller's tenants."""
    return [_organisation(o) for o in container.eenplan.directory.visible_organisations(caller)]


@router.post("/organisations/{org_id}/professionals", status_code=201, response_model=ProfessionalPublic)
def create_professional(
    org_id: str,
    body: RegisterProfessional,
    call: AdminCommand,
    container: ContainerDep,
) -> Response:
    """Register a professional of an organisation (role admin)."""
    _check_serves(container, call.ctx.actor, org_id)
    return call.run(
        body,
        lambda c: container.eenplan.directory.register_professional(c, org_id, body),
        lambda professional: created(_professional(professional), f"/professionals/{body.id}"),
        replies.recall_latest(container, Professional),
    )


@router.post("/professionals/{professional_id}/commands", response_model=ProfessionalPublic)
def change_professional(
    professional_id: str,
    command: Annotated[ProfessionalCommand, Body()],
    call: AdminCommand,
    container: ContainerDep,
) -> Response:
    """`move` to another organisation (`organisation_id`, `team_ids`), or `leave` (`reason`) (role admin)."""
    return call.run(
        command,
        lambda c: container.eenplan.directory.change_professional(c, professional_id, command),
        lambda professional: ok(_professional(professional)),
        replies.recall_latest(container, Professional),
    )


@router.post("/organisations/{org_id}/systems", status_code=201, response_model=SystemPublic)
def create_system(org_id: str, body: RegisterSystem, call: AdminCommand, container: ContainerDep) -> Response:
    """Register a partner system of an organisation: its tokens carry role partner_system (role admin)."""
    _check_serves(container, call.ctx.actor, org_id)
    return call.run(
        body,
        lambda c: container.eenplan.directory.register_system(c, org_id, body),
        lambda system: created(_system(system), f"/systems/{body.id}"),
        replies.recall_latest(container, PartnerSystem),
    )


@router.post("/systems/{system_id}/commands", response_model=SystemPublic)
def change_system(
    system_id: str, command: RetireSystem, call: AdminCommand, container: ContainerDep
) -> Response:
    """`retire` (`reason`): the system's tokens stop matching (role admin)."""
    return call.run(
        command,
        lambda c: container.eenplan.directory.retire_system(c, system_id, command),
        lambda system: ok(_system(system)),
        replies.recall_latest(container, PartnerSystem),
    )


@router.get("/professionals/{professional_id}", response_model=ProfessionalPublic)
def read_professional(professional_id: str, caller: CallerDep, container: ContainerDep) -> ProfessionalPublic:
    """One professional, if their organisation serves one of the caller's tenants."""
    try:
        professional = container.eenplan.directory.professional(professional_id)
        _check_serves(container, caller, professional.organisation_id)
    except (UnknownReferenceError, NotFoundError):
        # One answer for an unknown id and another tenant's: it names neither their organisation.
        raise NotFoundError(f"professional {professional_id} not found") from None
    return _professional(professional)


@router.post("/teams", status_code=201, response_model=TeamPublic)
def create_team(body: RegisterTeam, call: AdminCommand, container: ContainerDep) -> Response:
    """Register a team for a tenant (role admin)."""
    return call.run(
        body,
        lambda c: container.eenplan.directory.register_team(c, body),
        lambda team: created(_team(team), f"/teams/{body.id}"),
        replies.recall_latest(container, Team),
    )


@router.get("/teams", response_model=list[TeamPublic])
def read_teams(caller: CallerDep, container: ContainerDep) -> list[TeamPublic]:
    """Teams of the caller's tenants."""
    return [_team(t) for t in container.eenplan.directory.visible_teams(caller)]


def _check_serves(container: ContainerDep, caller: CallerDep, org_id: str) -> None:
    try:
        org = container.eenplan.directory.organisation(org_id)
    except UnknownReferenceError:
        raise NotFoundError(f"organisation {org_id} not found") from None
    if not set(org.tenants) & caller.tenants:
        raise NotFoundError(f"organisation {org_id} not found")
