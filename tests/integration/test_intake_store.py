"""Intake on a real store (SQLite and PostgreSQL): signal files by pseudonymous key, expiry, load."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from eenplan.api.bootstrap import build_application
from eenplan.api.settings import Settings
from eenplan.domain.intake.commands import PostSignal
from eenplan.domain.intake.signals import SignalRecorded
from tests.factories import ctx_for, make_world

PERSON = {"given_name": "Noa", "family_name": "de Vries", "birth_date": "1990-03-01", "bsn": "111222333"}


def signal(org: str, kind: str) -> PostSignal:
    return PostSignal.model_validate({"tenant": "GM0687", "type": kind, "person": PERSON, "area": "Noord"})


def test_signals_posted_across_a_restart_find_the_same_person_and_expire_by_the_sweep(
    settings: Settings,
) -> None:
    app = build_application(settings)
    world = make_world(app)
    day = date.today()
    housing = dataclasses.replace(
        ctx_for("sys", "woonstad", "partner_system"), today=day - timedelta(days=800)
    )
    assert app.signals.post_signal(housing, signal("woonstad", "rent_arrears"))["matched"] is False
    app.close()

    app = build_application(settings)
    police = ctx_for("sys", "politie", "partner_system")
    assert (
        app.signals.post_signal(police, signal("politie", "police_contact"))["matched"] is False
    )  # first one expired
    admin = ctx_for("admin", "gemeente", "admin")
    assert app.signals.expire_signals(admin, "GM0687") == 0
    stored = list(app.scans.scan(SignalRecorded))
    assert len(stored) == 2 and len({e.originator_id for e in stored}) == 1
    later = dataclasses.replace(admin, today=day + timedelta(days=731))
    assert app.signals.expire_signals(later, "GM0687") == 1
    assert app.signals.team_for_area("GM0687", "noord") == world.team_id
    app.close()


def test_regisseur_load_from_the_log_counts_open_plans_per_regisseur(settings: Settings) -> None:
    app = build_application(settings)
    world = make_world(app)
    first, second = world.pros[world.orgs["welfare"]]
    plans = [world.open(first).plan_id, world.open(first).plan_id, world.open(second).plan_id]
    world.run(first, plans[0], type="close_plan", reason="done")
    assert app.intake.loads("GM0687") == {first: 1, second: 1}
    assert app.intake.loads("GM0363") == {}
    app.close()


def test_a_help_request_contact_and_a_signal_person_never_reach_the_store_in_clear(
    settings: Settings,
) -> None:
    """Intake events go through the same field encryption as plan events; expiry shreds the person."""
    from eenplan.domain.intake.commands import SubmitHelpRequest
    from tests.integration.test_erasure import whole_database

    app = build_application(settings)
    make_world(app)
    desk = ctx_for("balie-1", "gemeente", "professional")
    request = SubmitHelpRequest.model_validate(
        {"tenant": "GM0687", "channel": "phone", "topics": ["money"], "summary": "Schuldenzorgen",
         "contact": {"given_name": "Ysbrand", "family_name": "Quarles", "phone": "0612345678"}}
    )  # fmt: skip
    app.intake.submit_help_request(desk, request)
    housing = dataclasses.replace(
        ctx_for("sys", "woonstad", "partner_system"), today=date.today() - timedelta(days=800)
    )
    app.signals.post_signal(housing, signal("woonstad", "rent_arrears"))
    later = dataclasses.replace(ctx_for("admin", "gemeente", "admin"), today=date.today() + timedelta(days=1))
    assert app.signals.expire_signals(later, "GM0687") == 1
    app.close()

    dump = whole_database(settings)
    for value in (
        b"Ysbrand",
        b"Quarles",
        b"0612345678",
        b"Schuldenzorgen",
        b"Noa",
        b"de Vries",
        b"111222333",
    ):
        assert value not in dump, value
