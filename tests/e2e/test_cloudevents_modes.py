"""CloudEvents over HTTP in every content mode: binary (ce- headers), structured and an empty batch."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from eenplan.api.http.idempotency import fingerprint
from eenplan.api.settings import Settings
from eenplan.api.store.idempotency_keys import Reply, build_keystore, scoped_key
from tests.e2e.conftest import Server, TokenFactory
from tests.e2e.partner_world import auth, cloudevent, police_system_on_plan, seed
from tests.factories import World

# Makes its own ids and counts only what it made: the run's shared store and server will do.
pytestmark = pytest.mark.shared_store

NOTE = {"category": "justice", "text": "geen incidenten sinds de aangifte"}


@pytest.fixture
def world(settings: Settings) -> World:
    return seed(settings)


def _binary(plan_id: str, officer: str, **changes: str | None) -> dict[str, str]:
    """The ce- headers of a note event, with `changes` (None drops a header)."""
    headers = {
        "ce-specversion": "1.0",
        "ce-id": "melding%201%20%C3%A9",  # "melding 1 é", percent-encoded as the HTTP binding says
        "ce-source": "urn:politie:bvh",
        "ce-type": '"nl.eenplan.note.added"',  # a quoted-string, as older senders write it
        "ce-subject": plan_id,
        "ce-actingfor": officer,
        "content-type": "application/json",
    }
    for name, value in changes.items():
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    return headers


def _version(client: httpx.Client, plan_id: str, system: str, officer: str) -> int:
    response = client.get(f"/plans/{plan_id}", headers=auth(system, **{"X-Acting-For": officer}))
    assert response.status_code == 200, response.text
    return int(response.json()["version"])


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def test_a_binary_mode_event_runs_its_command_and_is_the_same_event_as_its_structured_form(
    server: Server, client: httpx.Client, world: World, token: TokenFactory
) -> None:
    plan_id, officer, _, system = police_system_on_plan(client, world, token)
    binary = client.post("/events", json=NOTE, headers=auth(system, **_binary(plan_id, officer)))
    assert binary.status_code == 200, binary.text
    assert [e["type"] for e in binary.json()["events"]] == ["NoteAdded"]
    # The same source and id in structured mode, without datacontenttype: the same event, answered alike.
    structured = cloudevent(plan_id, "nl.eenplan.note.added", NOTE, id_="melding 1 é", actingfor=officer)
    del structured["datacontenttype"]
    again = client.post(
        "/events",
        content=json.dumps(structured).encode(),
        headers=auth(system, **{"content-type": "application/cloudevents+json; charset=utf-8"}),
    )
    assert again.status_code == 200, again.text
    assert again.content == binary.content
    history = client.get(f"/plans/{plan_id}/history", headers=auth(system, **{"X-Acting-For": officer}))
    assert [e["type"] for e in history.json()["events"]].count("NoteAdded") == 1
    # The same source and id with other data is another request under a used key.
    other = client.post(
        "/events", json={**NOTE, "text": "anders"}, headers=auth(system, **_binary(plan_id, officer))
    )
    assert _problem(other, 422)["type"].endswith("/idempotency-key-reused")


def test_a_structured_event_whose_answer_an_earlier_release_stored_still_gets_that_answer(
    server: Server, client: httpx.Client, world: World, token: TokenFactory, settings: Settings
) -> None:
    """Before binary mode, a key was stored with the fingerprint of the whole document as sent."""
    plan_id, officer, police, system = police_system_on_plan(client, world, token)
    event = cloudevent(plan_id, "nl.eenplan.note.added", NOTE, id_="voor-de-upgrade", actingfor=officer)
    key = scoped_key(police, world.systems[police], "ce:urn:politie:bvh#voor-de-upgrade")
    store = build_keystore(settings)
    try:
        _, claim = store.claim(key, fingerprint("/events", event, officer), 0)
        store.answer(claim, Reply(200, {"content-type": "application/json"}, b'{"stored": "earlier"}'))
    finally:
        store.close()
    headers = auth(system, **{"content-type": "application/cloudevents+json"})
    repeat = client.post("/events", content=json.dumps(event).encode(), headers=headers)
    assert (repeat.status_code, repeat.content) == (200, b'{"stored": "earlier"}')


@pytest.mark.parametrize("dropped", ["ce-specversion", "ce-id", "ce-source", "ce-type", "ce-subject"])
def test_a_binary_mode_event_without_a_required_header_is_refused_naming_it(
    server: Server, client: httpx.Client, world: World, token: TokenFactory, dropped: str
) -> None:
    plan_id, officer, _, system = police_system_on_plan(client, world, token)
    before = _version(client, plan_id, system, officer)
    headers = _binary(plan_id, officer, **{dropped: None})
    body = _problem(client.post("/events", json=NOTE, headers=auth(system, **headers)), 422)
    assert dropped in body["detail"]
    assert body["errors"][0]["loc"] == ["header", dropped]
    assert _version(client, plan_id, system, officer) == before


def test_a_binary_mode_event_with_bad_data_or_headers_gets_a_4xx_problem_and_runs_nothing(
    server: Server, client: httpx.Client, world: World, token: TokenFactory
) -> None:
    plan_id, officer, _, system = police_system_on_plan(client, world, token)
    before = _version(client, plan_id, system, officer)

    def send(body: bytes, *extra: tuple[str, str], **changes: str | None) -> httpx.Response:
        headers = [*auth(system, **_binary(plan_id, officer, **changes)).items(), *extra]
        return client.post("/events", content=body, headers=headers)

    note = json.dumps(NOTE).encode()
    assert "JSON object" in _problem(send(b"[1, 2]"), 422)["detail"]
    assert "JSON object" in _problem(send(b'"tekst"'), 422)["detail"]
    _problem(send(b"{not json"), 400)
    _problem(send(b"", **{"content-type": None}), 422)  # no data: the note's fields are missing
    _problem(send(note, **{"content-type": "text/plain"}), 415)
    _problem(send(note, **{"content-type": None}), 415)
    _problem(send(note, **{"content-type": "application/cloudevents+xml"}), 415)
    _problem(send(note, ("ce-datacontenttype", "application/json")), 422)
    _problem(send(note, ("ce-id", "tweede")), 422)  # a header given twice
    for bad in ("%C0%A0", "%E2%82", "100%", "%00", '"open', "%20" * 501):
        assert _problem(send(note, **{"ce-id": bad}), 422)["errors"][0]["loc"] == ["header", "ce-id"]
    _problem(send(note, **{"ce-specversion": "0.3"}), 422)
    _problem(send(note, **{"ce-type": "nl.eenplan.household.exploded"}), 422)
    assert _version(client, plan_id, system, officer) == before


def test_an_empty_cloudevents_batch_is_answered_with_no_results(
    server: Server, client: httpx.Client, world: World, token: TokenFactory
) -> None:
    _, officer, _, system = police_system_on_plan(client, world, token)
    headers = auth(system, **{"content-type": "application/cloudevents-batch+json", "X-Acting-For": officer})
    response = client.post("/events", content=b"[]", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"results": []}
    too_many = json.dumps([{}] * 101).encode()
    _problem(client.post("/events", content=too_many, headers=headers), 422)
