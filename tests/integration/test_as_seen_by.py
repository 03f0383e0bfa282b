"""As seen by: a plan replayed to a day, read under the relation and consent the organisation had then.

On a real store (SQLite and PostgreSQL), through the privacy read path; the clock is set per
event, so a history can span days.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from eenplan.api.bootstrap import build_stack
from eenplan.api.settings import Settings
from eenplan.domain.errors import PlanNotFoundError
from eenplan.privacy.reader import PlanReader
from tests.factories import World, command, ctx_for, make_world

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def on_day(self, day: int) -> None:
        self.now = START + timedelta(days=day - 1)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)  # distinct, rising timestamps within a day
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    clock = Clock()
    monkeypatch.setattr("eventsourcing.domain.datetime_now_with_tzinfo", clock)
    yield clock


@pytest.fixture
def stack(settings: Settings) -> Iterator[tuple[World, PlanReader]]:
    eenplan, privacy = build_stack(settings)
    yield make_world(eenplan, kinds=("social_work", "welfare", "police")), PlanReader(eenplan, privacy)
    eenplan.close()


def noon(day: int) -> datetime:
    return START + timedelta(days=day - 1, hours=3)


def auditor(world: World) -> Any:
    return ctx_for(world.auditor, world.municipality, "auditor", tenants=(world.tenant,)).actor


def open_with_partner(world: World, clock: Clock) -> tuple[str, str, str]:
    """Day 1: a plan by social work, with a welfare worker on the care team."""
    clock.on_day(1)
    regisseur = world.pros[world.orgs["social_work"]][0]
    partner = world.pros[world.orgs["welfare"]][0]
    plan_id = world.open(regisseur).plan_id
    world.join(regisseur, plan_id, partner, "welzijn")
    return plan_id, regisseur, partner


def test_an_organisation_whose_consent_was_withdrawn_on_day_10_sees_health_notes_on_day_9_not_11(
    stack: tuple[World, PlanReader], clock: Clock
) -> None:
    world, reader = stack
    plan_id, regisseur, _ = open_with_partner(world, clock)
    member = next(iter(world.app.repository.get(UUID(plan_id)).members))
    welfare = world.orgs["welfare"]
    world.run(regisseur, plan_id, type="record_consent", organisation_id=welfare, categories=["health"],
              purpose="plan_coordination", given_by=member)  # fmt: skip
    world.run(regisseur, plan_id, type="add_note", category="health", text="slaapt slecht")
    clock.on_day(10)
    consent_id = next(iter(world.app.repository.get(UUID(plan_id)).consents))
    world.run(regisseur, plan_id, type="withdraw_consent", consent_id=consent_id)

    day_9 = reader.plan_as_seen_by(auditor(world), plan_id, welfare, noon(9))
    day_11 = reader.plan_as_seen_by(auditor(world), plan_id, welfare, noon(11))
    assert [n["category"] for n in day_9["notes"]] == ["health"]
    assert day_11.get("notes", []) == []


def test_an_organisation_that_left_the_care_team_saw_the_plan_before_and_not_after(
    stack: tuple[World, PlanReader], clock: Clock
) -> None:
    world, reader = stack
    plan_id, regisseur, partner = open_with_partner(world, clock)
    clock.on_day(10)
    world.run(regisseur, plan_id, type="leave_care_team", professional_id=partner, reason="klaar")
    welfare = world.orgs["welfare"]

    assert reader.plan_as_seen_by(auditor(world), plan_id, welfare, noon(9))["plan_id"] == plan_id
    with pytest.raises(PlanNotFoundError):
        reader.plan_as_seen_by(auditor(world), plan_id, welfare, noon(11))


def test_a_mandate_over_all_workers_counts_only_while_it_is_valid(
    stack: tuple[World, PlanReader], clock: Clock
) -> None:
    world, reader = stack
    plan_id, regisseur, _ = open_with_partner(world, clock)
    police, officer = world.orgs["police"], world.pros[world.orgs["police"]][0]
    clock.on_day(3)
    world.join(regisseur, plan_id, officer, "wijkagent")
    world.app.plans.execute(
        world.ctx(officer, "team_lead"),
        plan_id,
        command(type="grant_mandate", organisation_id=police, scope="all", valid_until="2026-03-05"),
    )
    world.app.plans.execute(
        world.ctx(regisseur),
        plan_id,
        command(type="leave_care_team", professional_id=officer, reason="mandaat"),
    )

    assert reader.plan_as_seen_by(auditor(world), plan_id, police, noon(4))["plan_id"] == plan_id
    with pytest.raises(PlanNotFoundError):
        reader.plan_as_seen_by(auditor(world), plan_id, police, noon(6))  # the mandate expired on day 5


def test_the_history_as_seen_by_stops_at_the_moment_and_names_who_did_what(
    stack: tuple[World, PlanReader], clock: Clock
) -> None:
    world, reader = stack
    plan_id, regisseur, partner = open_with_partner(world, clock)
    clock.on_day(5)
    via_system = ctx_for("zorgsysteem", world.orgs["welfare"], "partner_system", tenants=(world.tenant,),
                         acting_for=partner)  # fmt: skip
    world.app.plans.execute(via_system, plan_id, command(type="add_note", category="general", text="later"))

    entries = reader.history_as_seen_by(auditor(world), plan_id, world.orgs["welfare"], noon(1))
    assert [e["type"] for e in entries][-3:] == ["CareTeamProposed", "ProposalAccepted", "CareTeamJoined"]
    proposer, joiner = entries[-3]["actor"], entries[-1]["actor"]
    assert (proposer["professional_id"], proposer["organisation_id"]) == (
        regisseur,
        world.orgs["social_work"],
    )
    assert (joiner["professional_id"], joiner["organisation_id"]) == (partner, world.orgs["welfare"])
    assert proposer["command_id"] and proposer["trace_id"] and proposer["partner_system"] is None

    latest = reader.history_as_seen_by(auditor(world), plan_id, world.orgs["welfare"], noon(6))[-1]["actor"]
    assert (latest["professional_id"], latest["partner_system"]) == (partner, "zorgsysteem")
