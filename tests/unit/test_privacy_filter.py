"""The filter by example: relations, consent windows, and plan-level visibility for projections."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from eenplan.domain.context import Actor
from eenplan.privacy.filter import Caller, filter_plan, visible_plan_ids
from eenplan.privacy.policy import load_policy

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
POLICY = load_policy()


def state(**extra: Any) -> dict[str, Any]:
    return {
        "plan_id": "p1",
        "tenant": "GM0687",
        "regisseur_id": "reg",
        "care_team": [
            {"professional_id": "reg", "organisation_id": "wijkteam"},
            {"professional_id": "cop", "organisation_id": "politie"},
        ],
        "members": [{"member_id": "m1", "given_name": "Ann", "bsn": "111222333", "role": "adult"}],
        "notes": [{"note_id": "n1", "category": "health", "text": "diagnose"}],
        "mandates": [],
        "consents": [],
        "goals": [],
        "agreements": [],
        **extra,
    }


def caller(sub: str, org: str, kind: str | None, **extra: Any) -> Caller:
    return Caller(Actor(sub, org, frozenset({"professional"}), frozenset({"GM0687"})), kind, **extra)


def test_the_regisseur_sees_every_field() -> None:
    view = filter_plan(caller("reg", "wijkteam", "social_work"), state(), POLICY, NOW)
    assert view is not None and view["members"][0]["bsn"] == "111222333" and view["notes"]


def test_consent_widens_only_until_its_end_date() -> None:
    consent = {
        "consent_id": "c",
        "organisation_id": "politie",
        "categories": ["finance"],
        "status": "active",
        "valid_until": "2026-11-22",
        "purpose": "plan_coordination",
    }
    debts = [{"note_id": "n2", "category": "finance", "text": "huurachterstand"}]
    police = caller("cop", "politie", "police")
    assert filter_plan(police, state(consents=[consent], notes=debts), POLICY, NOW)["notes"] == []  # type: ignore[index]
    consent["valid_until"] = "2026-12-31"
    assert filter_plan(police, state(consents=[consent], notes=debts), POLICY, NOW)["notes"]  # type: ignore[index]


def test_the_police_never_see_health_data_by_consent_emergency_or_as_regisseur() -> None:
    consent = {
        "consent_id": "c",
        "organisation_id": "politie",
        "categories": ["health"],
        "status": "active",
        "valid_until": None,
        "purpose": "p",
    }
    own = {
        "agreement_id": "a1",
        "category": "health",
        "action": "afspraak bij de huisarts",
        "responsible": {"organisation_id": "politie"},
    }
    plan = state(consents=[consent], agreements=[own], regisseur_id="cop")
    for police in (
        caller("cop", "politie", "police"),
        caller("cop", "politie", "police", emergency_until=NOW + timedelta(hours=1)),
        caller("agent", "politie", "police", emergency_until=NOW + timedelta(hours=1)),
    ):
        view = filter_plan(police, plan, POLICY, NOW)
        assert view is not None and view["notes"] == [] and view["agreements"] == [], police
    assert POLICY.categories("police", "regisseur") >= {"bsn", "justice"}  # the rest of "all" stays


def test_a_consent_counts_only_for_reads_of_the_processing_activity_it_was_given_for() -> None:
    consent = {
        "consent_id": "c",
        "organisation_id": "politie",
        "categories": ["health"],
        "status": "active",
        "valid_until": None,
        "purpose": "monitoring",
    }
    welfare = caller("cop", "politie", "welfare")  # a kind that may be consented health data
    coordinating = filter_plan(welfare, state(consents=[consent]), POLICY, NOW)
    assert coordinating is not None and coordinating["notes"] == []  # plan reads are coordination
    monitoring = replace(welfare, purpose="monitoring")
    assert filter_plan(monitoring, state(consents=[consent]), POLICY, NOW)["notes"]  # type: ignore[index]


def test_a_consent_that_concerns_one_member_opens_that_members_values_only() -> None:
    consent = {
        "consent_id": "c",
        "organisation_id": "politie",
        "categories": ["identity"],
        "status": "active",
        "valid_until": None,
        "purpose": "plan_coordination",
        "concerning": ["m2"],
    }
    members = [
        {"member_id": "m1", "given_name": "Ada", "bsn": "111222333", "role": "adult"},
        {"member_id": "m2", "given_name": "Bo", "bsn": "123456782", "role": "adult"},
    ]
    police = caller("cop", "politie", "police")
    view = filter_plan(police, state(consents=[consent], members=members), POLICY, NOW)
    assert view is not None
    by_id = {m["member_id"]: m for m in view["members"]}
    assert by_id["m2"]["given_name"] == "Bo"
    assert "given_name" not in by_id["m1"]
    assert "bsn" not in by_id["m2"], "a consent never opens the BSN (not in consent_can_grant)"


def test_emergency_access_reads_like_the_regisseur_until_it_expires() -> None:
    guest = caller("doc", "ggz", "mental_health", emergency_until=NOW + timedelta(hours=1))
    view = filter_plan(guest, state(), POLICY, NOW)
    assert view is not None and view["relation"] == "emergency" and view["members"][0]["bsn"]
    assert filter_plan(guest, state(), POLICY, NOW + timedelta(hours=2)) is None


def test_projections_get_only_the_plans_the_caller_may_see() -> None:
    other_tenant = state(plan_id="p2", tenant="GM0363")
    uninvolved = state(plan_id="p3", care_team=[])
    ids = visible_plan_ids(caller("cop", "politie", "police"), [state(), other_tenant, uninvolved], NOW)
    assert ids == ["p1"]
