"""Partner systems over HTTP: acting for a professional, and CloudEvents in."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from eenplan.api.http.formats.cloudevents import TYPE_TO_COMMAND
from eenplan.api.settings import Settings
from tests.e2e.conftest import Server, TokenFactory
from tests.e2e.partner_world import auth, cloudevent, police_system_on_plan, seed
from tests.factories import World

STRUCTURED = {"content-type": "application/cloudevents+json"}
BATCH = {"content-type": "application/cloudevents-batch+json"}


@pytest.fixture
def world(shared_settings: Settings) -> World:
    """A directory of its own in the store of `shared_server`."""
    return seed(shared_settings)


def test_a_partner_system_command_records_the_system_and_the_professional_it_acts_for(
    shared_server: Server, shared_client: httpx.Client, world: World, shared_token: TokenFactory
) -> None:
    plan_id, officer, police, system = police_system_on_plan(shared_client, world, shared_token)
    note = {"type": "add_note", "category": "general", "text": "melding besproken"}
    response = shared_client.post(
        f"/plans/{plan_id}/commands", json=note, headers=auth(system, **{"X-Acting-For": officer})
    )
    assert response.status_code == 200, response.text
    history = shared_client.get(
        f"/plans/{plan_id}/history", headers=auth(system, **{"X-Acting-For": officer})
    ).json()
    actor = history["events"][-1]["actor"]
    assert (actor["sub"], actor["acting_for"], actor["org"]) == (world.systems[police], officer, police)


def test_a_partner_system_must_name_a_professional_of_its_own_organisation(
    shared_server: Server, shared_client: httpx.Client, world: World, shared_token: TokenFactory
) -> None:
    plan_id, _, _, system = police_system_on_plan(shared_client, world, shared_token)
    outsider = world.pros[world.orgs["welfare"]][1]
    note = {"type": "add_note", "category": "general", "text": "x"}
    unnamed = shared_client.post(f"/plans/{plan_id}/commands", json=note, headers=auth(system))
    foreign = shared_client.post(
        f"/plans/{plan_id}/commands", json=note, headers=auth(system, **{"X-Acting-For": outsider})
    )
    pro, org = world.pros[world.orgs["welfare"]][0], world.orgs["welfare"]
    not_a_system = shared_client.post(
        f"/plans/{plan_id}/commands",
        json=note,
        headers=auth(shared_token(pro, org), **{"X-Acting-For": outsider}),
    )
    assert (unnamed.status_code, unnamed.json()["type"].rsplit("/", 1)[1]) == (422, "acting-for-required")
    assert foreign.status_code == 403
    assert not_a_system.status_code == 403


def test_a_cloudevent_runs_its_command_once_per_source_and_id(
    shared_server: Server, shared_client: httpx.Client, world: World, shared_token: TokenFactory
) -> None:
    plan_id, officer, _, system = police_system_on_plan(shared_client, world, shared_token)
    event = cloudevent(
        plan_id,
        "nl.eenplan.note.added",
        {"category": "justice", "text": "geen incidenten sinds de aangifte"},
        actingfor=officer,
    )
    first = shared_client.post("/events", content=_json(event), headers=auth(system, **STRUCTURED))
    again = shared_client.post("/events", content=_json(event), headers=auth(system, **STRUCTURED))
    assert first.status_code == 200, first.text
    assert [e["type"] for e in first.json()["events"]] == ["NoteAdded"]
    assert again.content == first.content
    history = shared_client.get(
        f"/plans/{plan_id}/history", headers=auth(system, **{"X-Acting-For": officer})
    ).json()
    assert [e["type"] for e in history["events"]].count("NoteAdded") == 1


def test_a_cloudevents_batch_answers_per_event_in_order(
    shared_server: Server, shared_client: httpx.Client, world: World, shared_token: TokenFactory
) -> None:
    plan_id, officer, _, system = police_system_on_plan(shared_client, world, shared_token)
    events = [
        cloudevent(plan_id, "nl.eenplan.note.added", {"category": "justice", "text": "aangifte"}, id_="b-1"),
        cloudevent(plan_id, "nl.eenplan.goal.progressed", {"goal_id": "missing", "score": 2}, id_="b-2"),
        cloudevent(plan_id, "nl.eenplan.note.added", {"category": "safety", "text": "spanningen"}, id_="b-3"),
        # The write policy holds for CloudEvents too: assessing risk is the regisseur's or a team lead's.
        cloudevent(
            plan_id, "nl.eenplan.risk.assessed", {"level": "medium", "rationale": "spanningen"}, id_="b-4"
        ),
    ]
    response = shared_client.post(
        "/events", content=_json(events), headers=auth(system, **BATCH, **{"X-Acting-For": officer})
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["id"], r["status"]) for r in results] == [
        ("b-1", 200),
        ("b-2", 409),
        ("b-3", 200),
        ("b-4", 403),
    ]
    assert results[0]["body"]["events"][0]["type"] == "NoteAdded"


def test_an_unknown_event_type_is_refused_with_the_list_of_known_types(
    shared_server: Server, shared_client: httpx.Client, world: World, shared_token: TokenFactory
) -> None:
    plan_id, officer, _, system = police_system_on_plan(shared_client, world, shared_token)
    response = shared_client.post(
        "/events",
        content=_json(cloudevent(plan_id, "nl.eenplan.household.exploded", {}, actingfor=officer)),
        headers=auth(system, **STRUCTURED),
    )
    assert response.status_code == 422
    assert response.json()["known_types"] == sorted(TYPE_TO_COMMAND)


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"specversion": "0.3"}, 422),
        ({"id": ""}, 422),
        ({"source": None}, 422),
        ({"subject": None}, 422),
        ({"data": {"category": "general"}}, 422),
    ],
)
def test_an_event_missing_required_cloudevents_attributes_or_fields_is_refused(
    shared_server: Server,
    shared_client: httpx.Client,
    world: World,
    shared_token: TokenFactory,
    change: dict[str, Any],
    status: int,
) -> None:
    plan_id, officer, _, system = police_system_on_plan(shared_client, world, shared_token)
    event = cloudevent(
        plan_id, "nl.eenplan.note.added", {"category": "general", "text": "x"}, actingfor=officer
    )
    event.update(change)
    response = shared_client.post(
        "/events",
        content=_json({k: v for k, v in event.items() if v is not None}),
        headers=auth(system, **STRUCTURED),
    )
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


def test_a_whole_event_sent_as_plain_json_is_binary_mode_without_its_headers_and_is_refused_naming_them(
    shared_server: Server, shared_client: httpx.Client, world: World, shared_token: TokenFactory
) -> None:
    """Any Content-Type but the CloudEvents formats means binary mode: attributes come in headers."""
    plan_id, officer, _, system = police_system_on_plan(shared_client, world, shared_token)
    event = cloudevent(
        plan_id, "nl.eenplan.note.added", {"category": "general", "text": "x"}, actingfor=officer
    )
    response = shared_client.post(
        "/events", content=_json(event), headers=auth(system, **{"content-type": "application/json"})
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    missing = ["ce-specversion", "ce-id", "ce-source", "ce-type", "ce-subject"]
    assert [line["loc"] for line in response.json()["errors"]] == [["header", name] for name in missing]


def _json(value: Any) -> bytes:
    import json

    return json.dumps(value).encode()
