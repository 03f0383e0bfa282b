"""After a merge, the people of a dissolved team work on in the team it went into.

The directory keeps each professional's registered team ids; a reorganisation
dissolves teams but does not re-register people. Team-lead access, allocation
and signal matches must follow the team the old one went into.
"""

from __future__ import annotations

from eenplan.domain.directory import RegisterTeam
from eenplan.domain.intake.commands import PostSignal, SubmitHelpRequest
from eenplan.domain.intake.signals import SignalTerms
from eenplan.domain.reorganisation import Reorganisation
from eenplan.domain.values import Role
from tests.factories import World, ctx_for, in_memory_app, make_world


def merged_world() -> tuple[World, str]:
    """A world whose team (area Noord) was merged into a new team `walcheren`."""
    app = in_memory_app()
    world = make_world(app)
    admin = ctx_for("admin", "gemeente", "admin")
    app.directory.register_team(admin, RegisterTeam(id="walcheren", name="Walcheren", tenant="GM0687"))
    return world, world.team_id


def merge(world: World) -> None:
    spec = {"id": "r1", "merge": [{"into": "walcheren", "from": [world.team_id]}]}
    world.app.reorganisations.reorganise(
        ctx_for("admin", "gemeente", "admin"), Reorganisation.model_validate(spec)
    )


def test_a_team_lead_of_a_merged_team_still_leads_its_plans_in_the_new_team() -> None:
    world, _ = merged_world()
    regisseur, lead = world.pros[world.orgs["welfare"]]
    plan_id = world.open(regisseur).plan_id
    merge(world)
    actor = world.ctx(lead, Role.TEAM_LEAD.value).actor
    plan = world.app.plans.plan(actor, plan_id)
    assert plan.team_id == "walcheren"
    assert world.app.plans.relation(actor, plan, world.ctx(lead).today) == "team_lead"


def test_professionals_of_a_merged_team_stay_candidates_under_the_new_team() -> None:
    world, _ = merged_world()
    merge(world)
    desk = world.pros[world.orgs["welfare"]][0]
    body = {
        "tenant": "GM0687",
        "channel": "phone",
        "topics": ["money"],
        "summary": "debts",
        "contact": {"given_name": "Sam", "family_name": "Jansen"},
    }
    request_id = world.app.intake.submit_help_request(
        world.ctx(desk), SubmitHelpRequest.model_validate(body)
    ).request_id
    ranked = world.app.intake.candidates(world.ctx(desk).actor, request_id)
    assert {c.professional_id for c in ranked} == {p for ps in world.pros.values() for p in ps}
    assert {c.team_id for c in ranked} == {"walcheren"}


def test_members_of_a_merged_team_see_the_matches_of_the_new_team() -> None:
    world, _ = merged_world()
    merge(world)
    person = {"given_name": "Noa", "family_name": "de Vries", "birth_date": "1990-03-01"}
    world.app.ports.signal_terms = SignalTerms(key=b"test-key")
    for kind, signal_type in (("police", "rent_arrears"), ("social_work", "energy_arrears")):
        body = {"tenant": "GM0687", "type": signal_type, "person": person, "area": "Noord"}
        partner = ctx_for(f"{kind}-sys", world.orgs[kind], "partner_system")
        world.app.signals.post_signal(partner, PostSignal.model_validate(body))
    member = world.pros[world.orgs["welfare"]][0]
    (match,) = world.app.signals.signal_matches(world.ctx(member).actor, "walcheren")
    assert match["seen_as"] == "team" and match["person"]["family_name"] == "de Vries"
