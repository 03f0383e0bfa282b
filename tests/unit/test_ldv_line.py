"""The pieces of an LDV line: typed times, foreign operations, users, and what counts as a replay."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from eenplan.domain.context import Actor
from eenplan.privacy import ldv, processing
from eenplan.privacy.outcome import Outcome

CONTEXT = ldv.Context("https://eenplan.example", "2026.1", "ab" * 32)


def test_times_are_utc_to_the_millisecond_whatever_zone_they_were_taken_in() -> None:
    moment = datetime(2026, 12, 1, 22, 30, 0, 123_999, tzinfo=timezone(timedelta(hours=1)))
    assert ldv.timestamp(moment) == "2026-12-01T21:30:00.123Z"


def test_a_foreign_operation_needs_a_well_formed_trace_context() -> None:
    good = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    assert ldv.foreign(good, "urn:politie:bvh") == {
        "trace_id": "0af7651916cd43dd8448eb211c80319c",
        "operation_id": "b7ad6b7169203331",
        "entity": "urn:politie:bvh",
    }
    for bad in (None, "", "00-short-b7ad6b7169203331-01", "nonsense"):
        assert ldv.foreign(bad, "urn:politie:bvh") is None


def test_a_cli_line_names_the_operator_first_and_whom_the_change_was_recorded_for_after() -> None:
    actor = Actor("p-chantal", "mw-walcheren", frozenset({"professional"}))
    operator, recorded = ldv.users(actor, "https://x/privacy/activities/2026.1/intake", "ops-anna")
    assert (operator["userID"], operator["alternateUserID"], operator["userIsRequestor"]) == (
        "ops-anna",
        "cli/ops-anna",
        True,
    )
    assert (recorded["alternateUserID"], recorded["userIsRequestor"]) == ("mw-walcheren/p-chantal", False)


def test_a_line_of_todays_shape_is_read_as_written() -> None:
    line = {"trace_id": "a" * 32, "operation_id": "b" * 16, "attributes": {"dpl.core.data_subject_id": "x"}}
    assert ldv.upgrade(line, lambda activity, version: f"/{version}/{activity}", CONTEXT) is line


def test_notes_taken_during_a_replay_are_replays_but_a_refusal_or_an_attempt_never_is() -> None:
    actor = Actor("p", "o")
    notes = processing.begin()
    processing.note_processing(actor, "plan-1")
    processing.replaying(True)
    processing.note_processing(actor, "plan-1")
    processing.note_refused(actor, "plan-2", Outcome(404, "plan-not-found"))
    processing.note_attempt(actor, "plan-3")
    assert [n.replay for n in notes] == [False, True, False, False]
    processing.begin()
    assert processing.Noted(actor, "plan-1").replay is False, "each request starts as no replay"
