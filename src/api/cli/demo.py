"""A small, realistic demo for a newcomer: one tenant, three organisations, a team,
six professionals and three households at different stages.

All names are invented. `eenplan demo` loads it; `eenplan serve` never does.
`eenplan demo --show` finds its plans again in a store it was loaded into.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

from eenplan.domain import commands as c
from eenplan.domain.app import Eenplan
from eenplan.domain.context import Actor, CommandContext
from eenplan.domain.directory import RegisterOrganisation, RegisterProfessional, RegisterTeam
from eenplan.domain.plan import events as plan_events
from eenplan.domain.values import OrganisationKind
from eenplan.privacy.processing import note_processing

TENANT = "GM0687"
TEAM = "gebiedsteam-middelburg-noordwest"
ORGANISATIONS = [
    ("welzijn-walcheren", "Welzijn Walcheren", "welfare"),
    ("mw-walcheren", "Maatschappelijk Werk Walcheren", "social_work"),
    ("intervence", "Intervence", "youth_care"),
]
HOUSEHOLDS = ("Pietersen", "El Amrani", "de Jong")
PROFESSIONALS = [
    ("p-anouk", "welzijn-walcheren", "Anouk de Vries", ["money", "participation"]),
    ("p-bram", "welzijn-walcheren", "Bram Jansen", ["housing", "care"]),
    ("p-chantal", "mw-walcheren", "Chantal Bakker", ["domestic_violence", "parenting"]),
    ("p-daan", "mw-walcheren", "Daan Visser", ["money", "housing"]),
    ("p-esra", "intervence", "Esra Yilmaz", ["parenting", "education"]),
    ("p-floor", "intervence", "Floor Mulder", ["domestic_violence", "care"]),
]


def _ctx(sub: str, org: str, *roles: str) -> CommandContext:
    return CommandContext(Actor(sub, org, frozenset(roles), frozenset({TENANT})), str(uuid4()))


def _household(family: str, members: list[tuple[str, str, str]], street: str) -> dict[str, Any]:
    return {
        "members": [
            {"given_name": given, "family_name": family, "birth_date": born, "role": role}
            for given, born, role in members
        ],
        "address": {"street": street, "house_number": "12", "postal_code": "4331 AB", "city": "Middelburg"},
    }


def load(app: Eenplan) -> dict[str, str]:
    """Load the demo; returns the plan ids by household name."""
    admin = _ctx("demo-admin", "gemeente-middelburg", "admin")
    app.directory.register_organisation(
        admin,
        RegisterOrganisation(
            id="gemeente-middelburg",
            name="Gemeente Middelburg",
            kind=OrganisationKind.MUNICIPALITY,
            tenants=[TENANT],
        ),
    )
    for key, name, kind in ORGANISATIONS:
        app.directory.register_organisation(
            admin, RegisterOrganisation(id=key, name=name, kind=OrganisationKind(kind), tenants=[TENANT])
        )
    app.directory.register_team(
        admin,
        RegisterTeam(
            id=TEAM, name="Gebiedsteam Middelburg Noordwest", tenant=TENANT, areas=["Noordweststad", "Veere"]
        ),
    )
    for key, org, name, expertise in PROFESSIONALS:
        app.directory.register_professional(
            admin,
            org,
            RegisterProfessional(
                id=key,
                name=name,
                disciplines=["maatschappelijk werk"],
                expertise=expertise,
                team_ids=[TEAM],
                capacity=12,
            ),
        )
    # Tokens must match the directory: the auditor and the privacy officer work for the
    # municipality (in no team); both sign in to the console.
    app.directory.register_professional(
        admin, "gemeente-middelburg", RegisterProfessional(id="demo-auditor", name="Ilse Auditeur")
    )
    app.directory.register_professional(
        admin, "gemeente-middelburg", RegisterProfessional(id="demo-privacy", name="Pim Privacy")
    )
    return {
        "Pietersen": _medium_risk(app),
        "El Amrani": _handover_in_progress(app),
        "de Jong": _closed(app),
    }


def find(app: Eenplan) -> dict[str, str]:
    """The demo's plans in this store, by household name, as `load` returned them (none: not loaded)."""
    found: dict[str, str] = {}
    for opened in app.scans.scan(plan_events.Opened):
        if opened.tenant != TENANT or opened.team_id != TEAM or not opened.members:
            continue
        family = opened.members[0].get("family_name")
        if family in HOUSEHOLDS and family not in found:
            found[family] = str(opened.originator_id)
    return {name: found[name] for name in HOUSEHOLDS if name in found}


def _open(app: Eenplan, ctx: CommandContext, household: dict[str, Any], reason: str, **extra: Any) -> str:
    body = c.OpenPlan.model_validate(
        {"tenant": TENANT, "team_id": TEAM, "household": household, "reason": reason, **extra}
    )
    opened = app.plans.open_plan(ctx, body)
    # Logged as `POST /plans` logs it (`eenplan demo` runs inside api/cli/logged.py's `logged`).
    note_processing(
        ctx.actor, opened.plan_id, opened.member_ids, tenant=TENANT, operation="open_plan", activity="intake"
    )
    return opened.plan_id


def _run(app: Eenplan, ctx: CommandContext, plan_id: str, **command: Any) -> None:
    from pydantic import TypeAdapter

    cmd = TypeAdapter(c.PlanCommand).validate_python(command)
    app.plans.execute(ctx, plan_id, cmd)
    subject = getattr(cmd, "member_id", None)
    note_processing(ctx.actor, plan_id, operation=cmd.type, also=[subject] if subject else [])


def _medium_risk(app: Eenplan) -> str:
    chantal = _ctx("p-chantal", "mw-walcheren", "professional")
    plan_id = _open(
        app,
        chantal,
        _household(
            "Pietersen", [("Marloes", "1988-04-02", "parent"), ("Sem", "2014-09-17", "child")], "Seisweg"
        ),
        "Huurachterstand en spanningen thuis",
        legal_basis="jeugdwet",
        risk_level="medium",
    )
    # Anouk works for Welzijn Walcheren, which gave no mandate: she is asked, and accepts.
    _run(app, chantal, plan_id, type="join_care_team", professional_id="p-anouk", role="schuldhulp")
    anouk = _ctx("p-anouk", "welzijn-walcheren", "professional")
    _run(app, anouk, plan_id, type="accept_proposal", proposal_id="careteam-p-anouk")
    goal = str(uuid4())
    _run(
        app,
        chantal,
        plan_id,
        type="set_goal",
        goal_id=goal,
        life_domain="finances",
        description="Huurachterstand in een regeling",
        target_date=str(date.today() + timedelta(days=90)),
    )
    _run(app, chantal, plan_id, type="record_progress", goal_id=goal, score=2)
    agreement = str(uuid4())
    _run(
        app,
        chantal,
        plan_id,
        type="make_agreement",
        agreement_id=agreement,
        goal_id=goal,
        responsible={"organisation_id": "welzijn-walcheren", "professional_id": "p-anouk"},
        action="Betalingsregeling met de corporatie",
        due_date=str(date.today() - timedelta(days=3)),
    )
    _run(app, anouk, plan_id, type="accept_proposal", proposal_id=agreement)  # no mandate: she agrees
    return plan_id


def _handover_in_progress(app: Eenplan) -> str:
    daan = _ctx("p-daan", "mw-walcheren", "professional")
    plan_id = _open(
        app,
        daan,
        _household("El Amrani", [("Yousra", "1979-12-11", "adult")], "Rouaansepad"),
        "Ondersteuning bij administratie",
        legal_basis="wmo2015",
        risk_level="low",
    )
    _run(app, daan, plan_id, type="join_care_team", professional_id="p-bram", role="wonen")
    bram = _ctx("p-bram", "welzijn-walcheren", "professional")
    _run(app, bram, plan_id, type="accept_proposal", proposal_id="careteam-p-bram")
    _run(
        app,
        daan,
        plan_id,
        type="propose_handover",
        to_professional_id="p-bram",
        note="Bram neemt de regie over nu wonen voorop staat",
    )
    return plan_id


def _closed(app: Eenplan) -> str:
    esra = _ctx("p-esra", "intervence", "professional")
    plan_id = _open(
        app,
        esra,
        _household("de Jong", [("Kees", "1965-06-30", "adult")], "Lange Delft"),
        "Opvoedvragen",
        legal_basis="jeugdwet",
    )
    _run(app, esra, plan_id, type="close_plan", reason="Doelen bereikt")
    return plan_id


TOKEN_USERS = [
    ("p-chantal", "mw-walcheren", ["professional"], "regisseur of the Pietersen plan (medium risk)"),
    ("p-bram", "welzijn-walcheren", ["professional"], "proposed regisseur of the El Amrani plan"),
    ("p-floor", "intervence", ["professional", "team_lead"], "team lead"),
    ("demo-auditor", "gemeente-middelburg", ["auditor"], "auditor of the municipality"),
    ("demo-privacy", "gemeente-middelburg", ["privacy_officer"], "privacy officer of the municipality"),
    ("demo-admin", "gemeente-middelburg", ["admin"], "administrator of the directory"),
]
