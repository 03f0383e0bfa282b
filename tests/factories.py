"""Factories for tests: a tenant with a team, organisations and professionals, random ids.

Used by unit tests (in memory), integration tests (a real store) and e2e tests
(through HTTP: see tests/e2e/conftest.py, which posts the same shapes).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter

from eenplan.domain import commands as c
from eenplan.domain.app import Eenplan, Outcome
from eenplan.domain.context import Actor, CommandContext
from eenplan.domain.directory import RegisterOrganisation, RegisterProfessional, RegisterSystem, RegisterTeam
from eenplan.domain.values import OrganisationKind
from eenplan.privacy.filter import Caller, can_see
from eenplan.privacy.service import Privacy
from eenplan.privacy.write_policy import WriteAuthority, load_write_policy

COMMAND = TypeAdapter(c.PlanCommand)
VALID_BSNS = ["111222333", "123456782", "999999990"]


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def ctx_for(
    sub: str, org: str, *roles: str, tenants: tuple[str, ...] = ("GM0687",), acting_for: str | None = None
) -> CommandContext:
    actor = Actor(sub, org, frozenset(roles or ("professional",)), frozenset(tenants), acting_for)
    return CommandContext(actor, command_id=str(uuid.uuid4()), trace_id=uuid.uuid4().hex)


def command(**fields: Any) -> Any:
    """A validated plan command from its JSON fields, as the API would parse it."""
    return COMMAND.validate_python(fields)


def household(*names: str) -> dict[str, Any]:
    return {
        "members": [
            {"given_name": name, "family_name": "Testpersoon", "birth_date": "1985-05-05", "role": "adult"}
            for name in (names or ("Alex",))
        ],
        "address": {
            "street": "Dorpsstraat",
            "house_number": "1",
            "postal_code": "4331 AB",
            "city": "Middelburg",
        },
    }


def open_plan_body(team_id: str, tenant: str = "GM0687", **extra: Any) -> c.OpenPlan:
    body = {
        "tenant": tenant,
        "team_id": team_id,
        "legal_basis": "wmo2015",
        "household": household(),
        "reason": "test",
        **extra,
    }
    return c.OpenPlan.model_validate(body)


@dataclass
class World:
    """A tenant with one team, and organisations each with professionals."""

    app: Eenplan
    tenant: str
    team_id: str
    orgs: dict[str, str] = field(default_factory=dict)  # kind -> organisation id
    pros: dict[str, list[str]] = field(default_factory=dict)  # organisation id -> professional ids
    systems: dict[str, str] = field(default_factory=dict)  # organisation id -> partner system id
    # The municipality's own organisation, with the people who oversee: tokens must match the directory.
    municipality: str = ""
    auditor: str = ""
    officer: str = ""

    def ctx(self, professional_id: str, *roles: str) -> CommandContext:
        org = next(o for o, ps in self.pros.items() if professional_id in ps)
        return ctx_for(professional_id, org, *roles, tenants=(self.tenant,))

    def open(self, professional_id: str, **extra: Any) -> Outcome:
        return self.app.plans.open_plan(
            self.ctx(professional_id), open_plan_body(self.team_id, self.tenant, **extra)
        )

    def run(self, who: str, plan_id: str, /, **fields: Any) -> Outcome:
        return self.app.plans.execute(self.ctx(who), plan_id, command(**fields))

    def join(self, by: str, plan_id: str, professional_id: str, role: str = "support") -> None:
        """Put a professional on the care team; one of another organisation accepts the proposal."""
        outcome = self.run(by, plan_id, type="join_care_team", professional_id=professional_id, role=role)
        if outcome.events[0]["type"] == "CareTeamProposed":
            self.run(professional_id, plan_id, type="accept_proposal", proposal_id=self.proposal(plan_id))

    def proposal(self, plan_id: str) -> str:
        """The id of the plan's latest pending proposal."""
        plan = self.app.repository.get(uuid.UUID(plan_id))
        return [k for k, p in plan.proposals.items() if p["status"] == "pending"][-1]


def make_world(
    app: Eenplan,
    tenant: str = "GM0687",
    kinds: tuple[str, ...] = ("welfare", "social_work", "police"),
    per_org: int = 2,
) -> World:
    admin = ctx_for("admin", "gemeente", "admin", tenants=(tenant,))
    team_id = uid("team")
    app.directory.register_team(
        admin, RegisterTeam(id=team_id, name="Gebiedsteam", tenant=tenant, areas=["Noord"])
    )
    world = World(app, tenant, team_id)
    _register_municipality(world, admin)
    for kind in kinds:
        org_id = uid(kind)
        app.directory.register_organisation(
            admin, RegisterOrganisation(id=org_id, name=kind, kind=OrganisationKind(kind), tenants=[tenant])
        )
        world.orgs[kind] = org_id
        world.pros[org_id] = []
        for _ in range(per_org):
            pro_id = uid("pro")
            app.directory.register_professional(
                admin,
                org_id,
                RegisterProfessional(id=pro_id, name="Pro", team_ids=[team_id], capacity=10),
            )
            world.pros[org_id].append(pro_id)
        world.systems[org_id] = uid("system")
        app.directory.register_system(
            admin, org_id, RegisterSystem(id=world.systems[org_id], name=f"{kind} system")
        )
    return world


def _register_municipality(world: World, admin: CommandContext) -> None:
    """The municipality, with an auditor and a privacy officer (oversight, in no team)."""
    world.municipality, world.auditor, world.officer = uid("gemeente"), uid("auditor"), uid("officer")
    kind = OrganisationKind.MUNICIPALITY
    world.app.directory.register_organisation(
        admin, RegisterOrganisation(id=world.municipality, name="Gemeente", kind=kind, tenants=[world.tenant])
    )
    for person in (world.auditor, world.officer):
        world.app.directory.register_professional(
            admin, world.municipality, RegisterProfessional(id=person, name="Toezicht")
        )


def in_memory_app() -> Eenplan:
    """The application alone, on the in-memory store, with the write policy in force."""
    return with_write_policy(Eenplan(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}))


def with_write_policy(app: Eenplan) -> Eenplan:
    """An application built without the composition root, judged by the write policy in force."""
    app.ports.write_policy = WriteAuthority(load_write_policy(), _sees)
    return app


def _sees(actor: Actor, plan: Any) -> bool:
    """The read filter's visibility, without the privacy store (no emergency grants in memory)."""
    now = datetime.now(UTC)
    return can_see(Caller(actor), Privacy.state(plan, now.date()), now)
