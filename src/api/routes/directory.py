"""The directory: organisations, their professionals, and teams (admin registers)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import CallerDep, CommandContextDep, ContainerDep, require_role
from api.schemas import OrganisationPublic, ProfessionalPublic, TeamPublic
from domain.directory import (
    Organisation,
    Professional,
    RegisterOrganisation,
    RegisterProfessional,
    RegisterTeam,
    Team,
)
from domain.errors import NotFoundError, UnknownReferenceError
from domain.values import Role

router = APIRouter(tags=["directory"])


def _organisation(o: Organisation) -> OrganisationPublic:
    return OrganisationPublic(id=o.key, name=o.name, kind=o.kind, tenants=o.tenants)


def _professional(p: Professional) -> ProfessionalPublic:
    return ProfessionalPublic(
        id=p.key,
        organisation_id=p.organisation_id,
        name=p.name,
        disciplines=p.disciplines,
        expertise=p.expertise,
        team_ids=p.team_ids,
        capacity=p.capacity,
    )


def _team(t: Team) -> TeamPublic:
    return TeamPublic(id=t.key, name=t.name, tenant=t.tenant, areas=t.areas)


@router.post("/organisations", status_code=201, response_model=OrganisationPublic)
def create_organisation(
    body: RegisterOrganisation, ctx: CommandContextDep, container: ContainerDep, response: Response
) -> OrganisationPublic:
    """Register an organisation (role admin)."""
    require_role(ctx.actor, Role.ADMIN)
    org = container.eenplan.register_organisation(ctx, body)
    response.headers["Location"] = f"/organisations/{body.id}"
    return _organisation(org)


@router.get("/organisations", response_model=list[OrganisationPublic])
def read_organisations(caller: CallerDep, container: ContainerDep) -> list[OrganisationPublic]:
    """Organisations serving any of the caller's tenants."""
    return [_organisation(o) for o in container.eenplan.visible_organisations(caller)]


@router.post("/organisations/{org_id}/professionals", status_code=201, response_model=ProfessionalPublic)
def create_professional(
    org_id: str,
    body: RegisterProfessional,
    ctx: CommandContextDep,
    container: ContainerDep,
    response: Response,
) -> ProfessionalPublic:
    """Register a professional of an organisation (role admin)."""
    require_role(ctx.actor, Role.ADMIN)
    _check_serves(container, ctx.actor, org_id)
    professional = container.eenplan.register_professional(ctx, org_id, body)
    response.headers["Location"] = f"/professionals/{body.id}"
    return _professional(professional)


@router.get("/professionals/{professional_id}", response_model=ProfessionalPublic)
def read_professional(professional_id: str, caller: CallerDep, container: ContainerDep) -> ProfessionalPublic:
    """One professional, if their organisation serves one of the caller's tenants."""
    try:
        professional = container.eenplan.professional(professional_id)
        _check_serves(container, caller, professional.organisation_id)
    except UnknownReferenceError:
        raise NotFoundError(f"professional {professional_id} not found") from None
    return _professional(professional)


@router.post("/teams", status_code=201, response_model=TeamPublic)
def create_team(
    body: RegisterTeam, ctx: CommandContextDep, container: ContainerDep, response: Response
) -> TeamPublic:
    """Register a team for a tenant (role admin)."""
    require_role(ctx.actor, Role.ADMIN)
    team = container.eenplan.register_team(ctx, body)
    response.headers["Location"] = f"/teams/{body.id}"
    return _team(team)


@router.get("/teams", response_model=list[TeamPublic])
def read_teams(caller: CallerDep, container: ContainerDep) -> list[TeamPublic]:
    """Teams of the caller's tenants."""
    return [_team(t) for t in container.eenplan.visible_teams(caller)]


def _check_serves(container: ContainerDep, caller: CallerDep, org_id: str) -> None:
    try:
        org = container.eenplan.organisation(org_id)
    except UnknownReferenceError:
        raise NotFoundError(f"organisation {org_id} not found") from None
    if not set(org.tenants) & caller.tenants:
        raise NotFoundError(f"organisation {org_id} not found")
