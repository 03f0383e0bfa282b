"""The application opens a plan and reads it back from a real store (SQLite or PostgreSQL)."""

from __future__ import annotations

from eenplan.api.bootstrap import build_application
from eenplan.api.settings import Settings
from tests.factories import make_world


def test_a_plan_opened_on_the_store_reads_back_after_a_restart(settings: Settings) -> None:
    app = build_application(settings)
    world = make_world(app)
    regisseur = world.pros[world.orgs["welfare"]][0]
    outcome = world.open(regisseur)
    app.close()

    reopened = build_application(settings)
    plan = reopened.plans.plan(world.ctx(regisseur).actor, outcome.plan_id)
    assert plan.regisseur_id == regisseur
    assert plan.version == outcome.version
    reopened.close()
