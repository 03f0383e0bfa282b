"""Erasure and export cover every record about the person, on the real stores (SQLite and PostgreSQL).

The household key goes with the last current member, whatever members removed earlier
still hold; the help request that opened the plan goes with its contact or with the
household, and is in the art. 15 export before that; so do the person's early signals.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from eenplan.api.bootstrap import Container
from eenplan.api.settings import Settings
from eenplan.domain.commands import OpenPlan
from eenplan.domain.intake.commands import OpenPlanFromRequest, PostSignal, SubmitHelpRequest
from eenplan.domain.plan.personal import ERASED
from eenplan.privacy import rights
from eenplan.privacy.retention import expire_everywhere
from tests.factories import World, ctx_for
from tests.integration.tamper import RawStore

ROOS = {"given_name": "Roos", "family_name": "Verhagen", "birth_date": "1981-07-09", "bsn": "123456782"}
TIM = {"given_name": "Tim", "family_name": "Verhagen", "birth_date": "1979-02-11"}
ADDRESS = {"street": "Lange Viestraat", "house_number": "12", "postal_code": "3511 BK", "city": "Utrecht"}
PHONE, EMAIL, SUMMARY = "0612349876", "roos.verhagen@example.nl", "Huurachterstand en zorgen om de kinderen"


def officer() -> Any:
    return ctx_for("po-1", "privacy-office", "privacy_officer")


def household(*people: dict[str, str]) -> dict[str, Any]:
    return {"members": [{**p, "role": "parent"} for p in people], "address": ADDRESS}


def open_from_request(
    container: Container, world: World, contact: dict[str, str], *people: dict[str, str]
) -> Any:
    """A help request by phone, turned into a plan for the household: (request id, plan outcome)."""
    pro = world.pros[world.orgs["social_work"]][0]
    request = SubmitHelpRequest.model_validate(
        {
            "tenant": "GM0687",
            "channel": "phone",
            "topics": ["housing", "parenting"],
            "summary": SUMMARY,
            "contact": {"given_name": contact["given_name"], "family_name": contact["family_name"],
                        "phone": PHONE, "email": EMAIL},
        }
    )  # fmt: skip
    request_id = container.eenplan.intake.submit_help_request(world.ctx(pro), request).request_id
    body = {"type": "open_plan", "tenant": "GM0687", "team_id": world.team_id, "legal_basis": "wmo2015",
            "household": household(*people), "reason": "zorgen"}  # fmt: skip
    outcome = container.eenplan.intake.triage(
        world.ctx(pro), request_id, OpenPlanFromRequest.model_validate(body)
    )
    return request_id, outcome


def test_the_household_key_goes_with_the_last_current_member_though_a_removed_member_kept_a_key(
    container: Container, world: World, settings: Settings
) -> None:
    pro = world.pros[world.orgs["social_work"]][0]
    body = {"tenant": "GM0687", "team_id": world.team_id, "legal_basis": "wmo2015",
            "household": household(ROOS, TIM), "reason": "zorgen"}  # fmt: skip
    opened = container.eenplan.plans.open_plan(world.ctx(pro), OpenPlan.model_validate(body))
    roos, tim = opened.member_ids
    world.run(pro, opened.plan_id, type="add_note", category="general", text="gesprek over de huur")
    world.run(pro, opened.plan_id, type="remove_member", member_id=tim, reason="verhuisd")

    receipt = rights.erase_subject(container.privacy, officer(), roos, "avg_art_17")

    assert receipt["household"] is True and receipt["status"] == "complete"
    raw = RawStore(settings.database_url)
    assert raw.privacy_key(opened.plan_id) is None, "the household key was kept alive by a removed member"
    assert raw.privacy_key(f"{opened.plan_id}:{tim}") is not None, "a removed member's own data is theirs"
    view = container.reader.plan(world.ctx(pro).actor, opened.plan_id)
    assert view["address"]["street"] == ERASED and view["notes"][0]["text"] == ERASED


def test_the_opening_help_request_is_exported_and_goes_with_its_contact(
    container: Container, world: World, settings: Settings
) -> None:
    request_id, outcome = open_from_request(container, world, ROOS, ROOS, TIM)
    roos, tim = outcome_members(container, outcome.plan_id)

    export = rights.export_subject(container.privacy, officer().actor, roos)
    (held,) = export["help_requests"]
    assert held["request_id"] == request_id and held["summary"] == SUMMARY
    assert held["contact"] == {
        "given_name": "Roos",
        "family_name": "Verhagen",
        "phone": PHONE,
        "email": EMAIL,
    }
    assert rights.export_subject(container.privacy, officer().actor, tim)["help_requests"] == []

    receipt = rights.erase_subject(container.privacy, officer(), roos, "avg_art_17")

    assert receipt["household"] is False and receipt["records"]["help_requests"] == 1
    assert RawStore(settings.database_url).privacy_key(request_id) is None
    again = rights.export_subject(container.privacy, officer().actor, roos)["help_requests"][0]
    assert set(again["contact"].values()) == {ERASED} and again["summary"] == ERASED
    assert PHONE not in str(container.eenplan.intake.help_request_record(request_id).__dict__)


def test_a_request_whose_contact_is_not_in_the_household_goes_with_the_household(
    container: Container, world: World, settings: Settings
) -> None:
    neighbour = {"given_name": "Jannie", "family_name": "Buurvrouw"}
    request_id, outcome = open_from_request(container, world, neighbour, ROOS, TIM)
    roos, tim = outcome_members(container, outcome.plan_id)
    assert (
        rights.export_subject(container.privacy, officer().actor, tim)["help_requests"][0]["summary"]
        == SUMMARY
    )

    rights.erase_subject(container.privacy, officer(), roos, "avg_art_17")
    assert (
        RawStore(settings.database_url).privacy_key(request_id) is not None
    )  # Tim's household still holds it
    rights.erase_subject(container.privacy, officer(), tim, "avg_art_17")
    assert RawStore(settings.database_url).privacy_key(request_id) is None


def test_the_persons_signals_are_exported_and_erased_with_them(
    container: Container, world: World, settings: Settings
) -> None:
    police = ctx_for("sys", "politie", "partner_system")
    signal = {"tenant": "GM0687", "type": "police_contact", "person": ROOS, "area": "Noord"}
    container.eenplan.signals.post_signal(police, PostSignal.model_validate(signal))
    _request_id, outcome = open_from_request(container, world, ROOS, ROOS, TIM)
    roos, tim = outcome_members(container, outcome.plan_id)

    (held,) = rights.export_subject(container.privacy, officer().actor, roos)["signals"]
    assert held["person"]["bsn"] == ROOS["bsn"] and held["signals"][0]["type"] == "police_contact"
    assert rights.export_subject(container.privacy, officer().actor, tim)["signals"] == []

    receipt = rights.erase_subject(container.privacy, officer(), roos, "avg_art_17")

    assert receipt["records"]["signal_files"] == 1
    assert RawStore(settings.database_url).privacy_key(held["file_id"]) is None
    assert rights.export_subject(container.privacy, officer().actor, roos)["signals"] == []


def test_retention_judges_every_tenant_by_itself(container: Container, world: World) -> None:
    pro = world.pros[world.orgs["social_work"]][0]
    plan_id = world.open(pro).plan_id
    world.run(pro, plan_id, type="close_plan", reason="afgerond")
    assert expire_everywhere(container.privacy, date.today()).receipts == []

    later = (datetime.now(UTC) + timedelta(days=366 * 15 + 4)).date()
    run = expire_everywhere(container.privacy, later)

    assert [(r["plan_id"], r["reason_code"], r["status"]) for r in run.receipts] == [
        (plan_id, "retention", "complete")
    ]
    assert expire_everywhere(container.privacy, later).receipts == []


def outcome_members(container: Container, plan_id: str) -> list[str]:
    """The members' ids in the order they were given (Roos first)."""
    plan = container.eenplan.repository.get(UUID(plan_id))
    return sorted(plan.members, key=lambda m: plan.members[m]["given_name"] != "Roos")
