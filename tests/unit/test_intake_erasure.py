"""Erasure of intake records in memory: a help request and a signal file keep ids, lose the person."""

from __future__ import annotations

from eenplan.domain.intake.commands import Person, PostSignal, SubmitHelpRequest
from eenplan.domain.intake.request import HelpRequest
from eenplan.domain.intake.signals import SignalFile, SignalTerms, person_key, person_keys
from eenplan.domain.plan.personal import ERASED
from tests.factories import ctx_for

TERMS = SignalTerms(key=b"k" * 32)
PERSON = {"given_name": "Éva", "family_name": "van der Berg", "birth_date": "1990-01-02", "bsn": "111222333"}


def request() -> HelpRequest:
    contact = {"given_name": "Éva", "family_name": "van der Berg", "phone": "0611111111"}
    body = {
        "tenant": "GM0687",
        "channel": "phone",
        "topics": ["money"],
        "summary": "schulden",
        "contact": contact,
    }
    return HelpRequest.submit(ctx_for("desk", "gemeente"), SubmitHelpRequest.model_validate(body))


def test_an_erased_help_request_keeps_its_course_and_loses_the_person() -> None:
    r = request()
    r.resolve_simple(ctx_for("desk", "gemeente"), "rolstoel geregeld voor mevrouw")
    r.record_erasure(ctx_for("po", "privacy-office", "privacy_officer"), "receipt-1")
    assert set(r.contact.values()) == {ERASED} and r.summary == ERASED
    assert r.outcome is not None and r.outcome["what_was_done"] == ERASED and r.status == "resolved"
    assert r.erased and not r.contact_is("Éva", "van der Berg")


def test_a_contact_is_recognised_by_name_whatever_the_accents_case_and_spacing() -> None:
    assert request().contact_is("EVA", "Van  der Berg")
    assert not request().contact_is("Eva", "Berg")


def test_a_person_is_found_under_every_key_a_signal_may_have_been_filed_under() -> None:
    with_bsn, without = Person.model_validate(PERSON), Person.model_validate({**PERSON, "bsn": None})
    keys = person_keys(PERSON, TERMS.key)
    assert person_key(with_bsn, TERMS.key) in keys and person_key(without, TERMS.key) in keys
    assert person_keys({"given_name": "Éva"}, TERMS.key) == set()


def test_an_erased_signal_file_holds_no_signal_match_or_person() -> None:
    police = ctx_for("sys", "politie", "partner_system")
    signal = PostSignal.model_validate(
        {"tenant": "GM0687", "type": "domestic_violence_report", "person": PERSON}
    )
    file = SignalFile.start(police, "GM0687", person_key(signal.person, TERMS.key))
    file.record(police, signal.type, signal.person, None, TERMS, lambda area: "team-1")
    assert file.match is not None and file.person is not None
    file.erase(ctx_for("po", "privacy-office", "privacy_officer"), "receipt-1")
    assert (file.signals, file.match, file.person) == ({}, None, None)
