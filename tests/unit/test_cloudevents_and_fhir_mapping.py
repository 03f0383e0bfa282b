"""CloudEvents parsing and the ZRM → FHIR goal-achievement mapping, without a store."""

from __future__ import annotations

import json

import pytest

from eenplan.api.http.formats.cloudevents import BATCH, STRUCTURED, TYPE_TO_COMMAND, parse
from eenplan.api.http.formats.fhir import achievement
from eenplan.api.http.problems import ProblemError
from eenplan.domain.commands import COMMAND_TYPES


def _event(**changes: object) -> dict[str, object]:
    base = {
        "specversion": "1.0",
        "id": "1",
        "source": "urn:x",
        "type": "nl.eenplan.note.added",
        "subject": "p",
    }
    return {**base, "data": {"category": "general", "text": "t"}, **changes}


def test_every_command_has_exactly_one_cloudevents_type() -> None:
    assert sorted(TYPE_TO_COMMAND.values()) == sorted(COMMAND_TYPES)


def test_a_batch_with_one_bad_event_is_refused_whole_naming_its_index() -> None:
    body = json.dumps([_event(), _event(id="2", specversion="0.3")]).encode()
    with pytest.raises(ProblemError) as refused:
        parse([("content-type", BATCH)], body)
    assert (refused.value.status, refused.value.extra["index"]) == (422, 1)


def test_a_structured_event_becomes_its_command_keyed_by_source_and_id() -> None:
    is_batch, (event,) = parse(
        [("Content-Type", f"{STRUCTURED}; charset=utf-8")], json.dumps(_event()).encode()
    )
    assert not is_batch
    assert (event.command.type, event.plan_id, event.key) == ("add_note", "p", "ce:urn:x#1")


def test_a_binary_event_is_the_same_event_as_its_structured_form() -> None:
    headers = [
        ("content-type", "application/json; charset=utf-8"),
        ("ce-specversion", "1.0"),
        ("CE-ID", '"1"'),
        ("ce-source", "urn%3ax"),
        ("ce-type", "nl.eenplan.note.added"),
        ("ce-subject", "p"),
        ("ce-time", "2026-01-01T00:00:00Z"),
    ]
    _, (binary,) = parse(headers, json.dumps(_event()["data"]).encode())
    _, (structured,) = parse([("content-type", STRUCTURED)], json.dumps(_event()).encode())
    assert (binary.key, binary.request, binary.command) == (
        structured.key,
        structured.request,
        structured.command,
    )


def test_an_empty_batch_is_a_batch_of_no_events() -> None:
    assert parse([("content-type", BATCH)], b"[]") == (True, [])


@pytest.mark.parametrize(
    ("status", "score", "code"),
    [
        ("achieved", 5, "achieved"),
        ("dropped", 2, "not-achieved"),
        ("open", None, "in-progress"),
        ("open", 1, "no-progress"),
        ("open", 3, "in-progress"),
        ("open", 4, "improving"),
    ],
)
def test_goal_achievement_follows_the_zrm_progress(status: str, score: int | None, code: str) -> None:
    assert achievement(status, score)["coding"][0]["code"] == code
