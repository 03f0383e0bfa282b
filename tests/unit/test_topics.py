"""The topic registry: what a stored topic means, today's names and former ones alike."""

from __future__ import annotations

import pytest
from eventsourcing.utils import get_topic

from eenplan.domain import topics
from eenplan.domain.directory import Organisation
from eenplan.domain.plan import HouseholdPlan
from eenplan.domain.plan import events as ev


def test_a_topic_from_before_the_packages_moved_means_todays_class() -> None:
    assert topics.resolve("domain.plan.events:NoteAdded") is ev.NoteAdded
    assert topics.resolve("domain.plan.aggregate:HouseholdPlan") is HouseholdPlan
    assert topics.resolve("domain.directory:Organisation.Registered") is Organisation.Registered


def test_todays_topics_are_under_the_one_import_name() -> None:
    assert get_topic(ev.NoteAdded) == "eenplan.domain.plan.events:NoteAdded"


def test_a_log_filter_names_a_class_by_every_topic_it_was_stored_under() -> None:
    assert topics.stored_topics(ev.NoteAdded, ev.GoalSet) == [
        "domain.plan.events:GoalSet",
        "domain.plan.events:NoteAdded",
        "eenplan.domain.plan.events:GoalSet",
        "eenplan.domain.plan.events:NoteAdded",
    ]


def test_is_of_answers_by_meaning_and_subclass_not_by_spelling() -> None:
    assert topics.is_of("domain.plan.events:GoalSet", ev.PlanEvent)
    assert topics.is_of("eenplan.domain.plan.events:GoalSet", ev.GoalSet)
    assert not topics.is_of("domain.plan.events:GoalSet", ev.NoteAdded)


def test_a_topic_that_names_nothing_is_unknown_not_an_error_for_followers() -> None:
    assert topics.known("gone.module:Vanished") is None
    assert topics.known("domain.plan.events:NoteAdded") is ev.NoteAdded


def test_a_class_moved_on_its_own_is_found_under_its_old_topic(monkeypatch: pytest.MonkeyPatch) -> None:
    """How a later split of plan/events.py keeps old stores readable: one line in MOVED_CLASSES."""
    old = "eenplan.domain.plan.old_events:NoteWritten"
    monkeypatch.setitem(topics.MOVED_CLASSES, old, ev.NoteAdded)
    topics.install()
    assert topics.resolve(old) is ev.NoteAdded
    assert old in topics.stored_topics(ev.NoteAdded)
