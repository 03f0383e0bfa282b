"""Signals match per person like the Verwijsindex: windows, weights, visibility and expiry."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from eenplan.domain.context import CommandContext
from eenplan.domain.intake.commands import Person
from eenplan.domain.intake.signals import SignalFile, SignalTerms, person_key
from eenplan.domain.intake.values import SignalType
from tests.factories import ctx_for

TERMS = SignalTerms(key=b"test-key", active_days=730, window_days=365)
PERSON = Person(given_name="Noa", family_name="de Vries", birth_date=date(1990, 3, 1), bsn="111222333")
DAY = date(2026, 1, 1)


def ctx(org: str, on: date) -> CommandContext:
    return dataclasses.replace(ctx_for(f"{org}-system", org, "partner_system"), today=on)


def signal(file: SignalFile, org: str, kind: SignalType, on: date, area: str | None = "Noord") -> str:
    return file.record(ctx(org, on), kind, PERSON, area, TERMS, lambda a: f"team-{a}" if a else None)


def new_file() -> SignalFile:
    return SignalFile.start(ctx("woonstad", DAY), "GM0687", person_key(PERSON, TERMS.key))


def test_two_signals_from_different_organisations_within_the_window_match() -> None:
    file = new_file()
    signal(file, "woonstad", SignalType.RENT_ARREARS, DAY)
    assert file.match is None
    signal(file, "energie", SignalType.ENERGY_ARREARS, DAY + timedelta(days=200))
    assert file.match is not None
    assert file.match["organisation_ids"] == ["energie", "woonstad"]
    assert file.match["team_id"] == "team-Noord"


def test_two_signals_of_one_organisation_do_not_match() -> None:
    file = new_file()
    signal(file, "woonstad", SignalType.RENT_ARREARS, DAY)
    signal(file, "woonstad", SignalType.RENT_ARREARS, DAY + timedelta(days=30))
    assert file.match is None


def test_signals_further_apart_than_the_window_do_not_match() -> None:
    file = new_file()
    signal(file, "woonstad", SignalType.RENT_ARREARS, DAY)
    signal(file, "politie", SignalType.POLICE_CONTACT, DAY + timedelta(days=366))
    assert file.match is None


def test_one_high_weight_signal_matches_alone() -> None:
    file = new_file()
    signal(file, "politie", SignalType.DOMESTIC_VIOLENCE_REPORT, DAY)
    assert file.match is not None and file.match["organisation_ids"] == ["politie"]


def test_a_later_signal_joins_the_existing_match() -> None:
    file = new_file()
    signal(file, "woonstad", SignalType.EVICTION_NOTICE, DAY)
    match_id = file.match["match_id"] if file.match else None
    signal(file, "school", SignalType.SCHOOL_ABSENCE, DAY + timedelta(days=10))
    assert file.match is not None and file.match["match_id"] == match_id
    assert file.match["organisation_ids"] == ["school", "woonstad"]


def test_signals_expire_after_their_term_and_take_the_identity_with_them() -> None:
    file = new_file()
    signal(file, "woonstad", SignalType.RENT_ARREARS, DAY)
    signal(file, "energie", SignalType.ENERGY_ARREARS, DAY + timedelta(days=1))
    assert file.person is not None and file.match is not None
    assert file.expire(ctx("gemeente", DAY + timedelta(days=730)), TERMS) == []
    expired = file.expire(ctx("gemeente", DAY + timedelta(days=732)), TERMS)
    assert len(expired) == 2
    assert file.signals == {} and file.match is None and file.person is None


def test_an_expired_signal_no_longer_counts_towards_a_match() -> None:
    file = new_file()
    signal(file, "woonstad", SignalType.RENT_ARREARS, DAY)
    signal(file, "energie", SignalType.ENERGY_ARREARS, DAY + timedelta(days=800))
    assert list(s["organisation_id"] for s in file.signals.values()) == ["energie"]
    assert file.match is None


def test_the_team_sees_the_person_signallers_the_bare_fact_and_others_nothing() -> None:
    file = new_file()
    signal(file, "woonstad", SignalType.RENT_ARREARS, DAY)
    signal(file, "energie", SignalType.ENERGY_ARREARS, DAY)
    team_view = file.visible_match(ctx_for("pro", "welzijn").actor, {"team-Noord"})
    assert team_view is not None and team_view["person"]["family_name"] == "de Vries"
    signaller = file.visible_match(ctx_for("sys", "woonstad").actor, set())
    assert signaller is not None and "person" not in signaller and len(signaller["signal_ids"]) == 1
    assert file.visible_match(ctx_for("sys", "school").actor, {"team-Zuid"}) is None


def test_the_person_key_is_pseudonymous_and_stable_across_spellings() -> None:
    key = person_key(PERSON, TERMS.key)
    assert "111222333" not in key and "Vries" not in key
    no_bsn = Person(given_name="Noa", family_name="de Vries", birth_date=date(1990, 3, 1))
    respelled = Person(given_name="NOA", family_name="De  Vriés", birth_date=date(1990, 3, 1))
    assert person_key(no_bsn, TERMS.key) == person_key(respelled, TERMS.key)
    assert person_key(no_bsn, b"another key") != person_key(no_bsn, TERMS.key)
