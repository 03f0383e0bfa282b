"""Crypto-shredding on the real stores (SQLite and PostgreSQL, via the `settings` fixture).

Before erasure the person's values are readable through the read path, yet
never stored in clear; after erasure the history still loads with the values
shown as erased, and a dump of the whole database (pg_dump, or the SQLite
file's bytes) holds none of them.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from eenplan.api.bootstrap import Container, build
from eenplan.api.settings import Settings
from eenplan.domain.plan.personal import ERASED
from eenplan.privacy import rights
from tests.factories import ctx_for, make_world

PG_DUMP = "/usr/lib/postgresql/15/bin/pg_dump"
NAME, FAMILY, BIRTH, BSN, NOTE = (
    "Zwaantje",
    "Oosterhuisberg",
    "1979-03-14",
    "123456782",
    "Vermoeden van huiselijk geweld",
)
STREET = "Kromme Nieuwegracht"


def whole_database(settings: Settings) -> bytes:
    if settings.database_url.startswith("sqlite"):
        db = Path(settings.database_url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    return subprocess.run([PG_DUMP, settings.database_url], check=True, capture_output=True).stdout


def open_household(container: Container) -> tuple[str, str, str, str, str]:
    world = make_world(container.eenplan, kinds=("social_work",))
    org = world.orgs["social_work"]
    pro = world.pros[org][0]
    members = [
        {"given_name": NAME, "family_name": FAMILY, "birth_date": BIRTH, "bsn": BSN, "role": "parent"},
        {"given_name": "Kees", "family_name": "Blijft", "birth_date": "1980-01-01", "role": "parent"},
    ]
    address = {"street": STREET, "house_number": "7", "postal_code": "3512 AB", "city": "Utrecht"}
    outcome = container.eenplan.plans.open_plan(
        world.ctx(pro),
        __import__("eenplan.domain.commands", fromlist=["OpenPlan"]).OpenPlan.model_validate(
            {
                "tenant": "GM0687",
                "team_id": world.team_id,
                "legal_basis": "jeugdwet",
                "household": {"members": members, "address": address},
                "reason": "zorgen",
            }
        ),
    )
    world.run(pro, outcome.plan_id, type="add_note", category="safety", text=NOTE)
    return outcome.plan_id, outcome.member_ids[0], outcome.member_ids[1], pro, org


def test_erasure_leaves_no_value_of_the_person_in_the_database_and_history_still_loads(
    settings: Settings,
) -> None:
    container = build(settings)
    try:
        plan_id, erased, kept, pro, org = open_household(container)
        regisseur = ctx_for(pro, org).actor
        before = container.reader.plan(regisseur, plan_id)
        assert {NAME, FAMILY, BIRTH, BSN} <= set(before["members"][0].values())
        dump = whole_database(settings)
        assert NAME.encode() not in dump and NOTE.encode() not in dump, "stored in clear"

        officer = ctx_for("po", "privacy-office", "privacy_officer")
        rights.erase_plan_subjects(
            container.privacy,
            officer,
            container.eenplan.plans.plan(officer.actor, plan_id),
            [erased, kept],
            "avg_art_17",
            "request",
        )
        history = container.reader.history(regisseur, plan_id)
        opened = history[0]["data"]
        assert opened["members"][0]["given_name"] == ERASED
        assert opened["address"]["street"] == ERASED
        assert any(e["type"] == "PersonalDataErased" for e in history)
        view = container.reader.plan(regisseur, plan_id, version=2)
        assert view["members"][0]["bsn"] == ERASED
    finally:
        container.close()
    dump = whole_database(settings)
    for value in (NAME, FAMILY, BIRTH, BSN, NOTE, STREET):
        assert value.encode() not in dump


def test_erasing_one_member_keeps_the_others_values_and_the_household(settings: Settings) -> None:
    container = build(settings)
    try:
        plan_id, erased, kept, pro, org = open_household(container)
        officer = ctx_for("po", "privacy-office", "privacy_officer")
        receipt = rights.erase_subject(container.privacy, officer, erased, "avg_art_17")
        view = container.reader.plan(ctx_for(pro, org).actor, plan_id)
        members = {m["member_id"]: m for m in view["members"]}
        assert members[erased]["given_name"] == ERASED
        assert members[kept]["given_name"] == "Kees"
        assert view["address"]["street"] == STREET
        assert receipt["household"] is False
        assert erased not in str(receipt["data_subject_ids"])
    finally:
        container.close()


def test_a_fresh_process_reads_the_erased_values_as_erased(settings: Settings) -> None:
    container = build(settings)
    plan_id, erased, _kept, pro, org = open_household(container)
    rights.erase_subject(
        container.privacy, ctx_for("po", "privacy-office", "privacy_officer"), erased, "avg_art_17"
    )
    container.close()
    again = build(settings)
    try:
        view = again.reader.plan(ctx_for(pro, org).actor, plan_id)
        assert next(m for m in view["members"] if m["member_id"] == erased)["family_name"] == ERASED
    finally:
        again.close()


def test_expire_erases_closed_plans_past_their_term_and_reports_them(settings: Settings) -> None:
    container = build(settings)
    try:
        plan_id, _erased, _kept, pro, org = open_household(container)
        world_ctx = ctx_for(pro, org)
        from tests.factories import command

        container.eenplan.plans.execute(world_ctx, plan_id, command(type="close_plan", reason="klaar"))
        job = ctx_for("retention", "eenplan", "privacy_officer")
        assert rights.expire(container.privacy, job, date.today()) == []
        later = (datetime.now(UTC) + timedelta(days=366 * 20 + 2)).date()
        receipts = rights.expire(container.privacy, job, later)
        assert [r["plan_id"] for r in receipts] == [plan_id]
        assert receipts[0]["household"] is True
        assert rights.expire(container.privacy, job, later) == []
    finally:
        container.close()


def test_an_export_holds_the_persons_data_and_no_other_members_values(settings: Settings) -> None:
    container = build(settings)
    try:
        _plan_id, member, other, _pro, _org = open_household(container)
        officer = ctx_for("po", "privacy-office", "privacy_officer").actor
        export = rights.export_subject(container.privacy, officer, member)
        assert NAME in str(export) and NOTE in str(export) and STREET in str(export)
        assert "Kees" not in str(export) and "Blijft" not in str(export)
        assert other in str(export)  # ids are structure; the other member's values are not exported
    finally:
        container.close()
