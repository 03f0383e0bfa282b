"""Idempotency keys, If-Match and batches over HTTP, against the real server process."""

from __future__ import annotations

import httpx
import pytest

from eenplan.api.settings import Settings
from tests.e2e.conftest import Server, TokenFactory
from tests.e2e.partner_world import auth, open_body, open_plan, seed
from tests.factories import World

# Makes its own ids and counts only what it made: the run's shared store and server will do.
pytestmark = pytest.mark.shared_store


@pytest.fixture
def world(shared_settings: Settings) -> World:
    """A directory of its own in the store of `shared_server`."""
    return seed(shared_settings)


def _pro(world: World, kind: str = "welfare", n: int = 0) -> tuple[str, str]:
    org = world.orgs[kind]
    return world.pros[org][n], org


def _version(client: httpx.Client, plan_id: str, token: str) -> int:
    response = client.get(f"/plans/{plan_id}", headers=auth(token))
    assert response.status_code == 200, response.text
    return int(response.json()["version"])


def test_a_repeated_key_gets_the_first_answer_byte_for_byte_and_records_nothing_also_after_a_restart(
    settings: Settings, token: TokenFactory
) -> None:
    world = seed(settings)  # a store of its own: the test restarts the server on it
    pro, org = _pro(world)
    bearer = token(pro, org)
    opening = open_body(world)  # one body, sent again with its key
    server = Server(settings)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            first_open = client.post(
                "/plans", json=opening, headers=auth(bearer, **{"Idempotency-Key": "open-1"})
            )
            again_open = client.post(
                "/plans", json=opening, headers=auth(bearer, **{"Idempotency-Key": "open-1"})
            )
            plan_id = first_open.json()["plan_id"]
            note = {"type": "add_note", "category": "general", "text": "gebeld met school"}
            first = client.post(
                f"/plans/{plan_id}/commands", json=note, headers=auth(bearer, **{"Idempotency-Key": "note-1"})
            )
            again = client.post(
                f"/plans/{plan_id}/commands", json=note, headers=auth(bearer, **{"Idempotency-Key": "note-1"})
            )
            version = _version(client, plan_id, bearer)
    finally:
        server.stop()
    restarted = Server(settings)
    try:
        with httpx.Client(base_url=restarted.url, timeout=30) as client:
            after_restart = client.post(
                f"/plans/{plan_id}/commands", json=note, headers=auth(bearer, **{"Idempotency-Key": "note-1"})
            )
            open_after_restart = client.post(
                "/plans", json=opening, headers=auth(bearer, **{"Idempotency-Key": "open-1"})
            )
            assert _version(client, plan_id, bearer) == version
    finally:
        restarted.stop()

    assert first_open.status_code == 201
    for repeat in (again_open, open_after_restart):
        assert (repeat.status_code, repeat.content) == (201, first_open.content)
        assert repeat.headers["location"] == first_open.headers["location"]
        assert repeat.headers["etag"] == first_open.headers["etag"]
    assert first.status_code == 200
    for repeat in (again, after_restart):
        assert (repeat.status_code, repeat.content, repeat.headers["etag"]) == (
            200,
            first.content,
            first.headers["etag"],
        )
    assert version == first.json()["version"]


def test_a_key_reused_for_another_body_is_refused_with_422(
    shared_server: Server, shared_client: httpx.Client, world: World, shared_token: TokenFactory
) -> None:
    pro, org = _pro(world)
    bearer = shared_token(pro, org)
    plan_id = open_plan(shared_client, world, bearer)
    headers = auth(bearer, **{"Idempotency-Key": "k-1"})
    ok = shared_client.post(
        f"/plans/{plan_id}/commands",
        json={"type": "add_note", "category": "general", "text": "a"},
        headers=headers,
    )
    other = shared_client.post(
        f"/plans/{plan_id}/commands",
        json={"type": "add_note", "category": "general", "text": "b"},
        headers=headers,
    )
    assert ok.status_code == 200
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["type"].endswith("/idempotency-key-reused")


def test_command_id_in_the_body_is_an_idempotency_key_and_is_recorded_on_the_events(
    shared_server: Server, shared_client: httpx.Client, world: World, shared_token: TokenFactory
) -> None:
    pro, org = _pro(world)
    bearer = shared_token(pro, org)
    plan_id = open_plan(shared_client, world, bearer)
    body = {
        "type": "set_goal",
        "command_id": "goal-cmd-1",
        "life_domain": "finances",
        "description": "schulden op orde",
    }
    first = shared_client.post(f"/plans/{plan_id}/commands", json=body, headers=auth(bearer))
    second = shared_client.post(f"/plans/{plan_id}/commands", json=body, headers=auth(bearer))
    history = shared_client.get(f"/plans/{plan_id}/history", headers=auth(bearer)).json()["events"]
    assert second.content == first.content
    assert [e["actor"]["command_id"] for e in history if e["type"] == "GoalSet"] == ["goal-cmd-1"]


def test_a_stale_if_match_gets_412_and_the_current_etag_succeeds(
    shared_server: Server, shared_client: httpx.Client, world: World, shared_token: TokenFactory
) -> None:
    pro, org = _pro(world)
    bearer = shared_token(pro, org)
    plan_id = open_plan(shared_client, world, bearer)
    etag = shared_client.get(f"/plans/{plan_id}", headers=auth(bearer)).headers["etag"]
    note = {"type": "add_note", "category": "general", "text": "x"}
    moved = shared_client.post(
        f"/plans/{plan_id}/commands", json=note, headers=auth(bearer, **{"If-Match": etag})
    )
    stale = shared_client.post(
        f"/plans/{plan_id}/commands", json=note, headers=auth(bearer, **{"If-Match": etag})
    )
    assert moved.status_code == 200
    assert moved.headers["etag"] == f'"{int(etag.strip(chr(34))) + 1}"'
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"


def test_a_batch_saves_one_version_per_event_in_one_go(
    shared_server: Server, shared_client: httpx.Client, world: World, shared_token: TokenFactory
) -> None:
    pro, org = _pro(world)
    bearer = shared_token(pro, org)
    plan_id = open_plan(shared_client, world, bearer)
    before = _version(shared_client, plan_id, bearer)
    commands = [
        {"type": "set_goal", "goal_id": "g1", "life_domain": "finances", "description": "budget"},
        {"type": "record_progress", "goal_id": "g1", "score": 3},
        *({"type": "add_note", "category": "general", "text": f"n{i}"} for i in range(8)),
    ]
    response = shared_client.post(
        f"/plans/{plan_id}/commands:batch", json={"commands": commands}, headers=auth(bearer)
    )
    assert response.status_code == 200, response.text
    assert [e["version"] for e in response.json()["events"]] == list(range(before + 1, before + 11))
    assert _version(shared_client, plan_id, bearer) == before + 10


def test_a_batch_with_one_failing_command_saves_nothing_and_names_its_index(
    shared_server: Server, shared_client: httpx.Client, world: World, shared_token: TokenFactory
) -> None:
    pro, org = _pro(world)
    bearer = shared_token(pro, org)
    plan_id = open_plan(shared_client, world, bearer)
    before = _version(shared_client, plan_id, bearer)
    commands = [
        {"type": "add_note", "category": "general", "text": "first"},
        {"type": "add_note", "category": "general", "text": "second"},
        {"type": "record_progress", "goal_id": "no-such-goal", "score": 3},
    ]
    response = shared_client.post(
        f"/plans/{plan_id}/commands:batch", json={"commands": commands}, headers=auth(bearer)
    )
    too_many = shared_client.post(
        f"/plans/{plan_id}/commands:batch", json={"commands": [commands[0]] * 101}, headers=auth(bearer)
    )
    assert response.status_code == 409
    assert response.json()["index"] == 2
    assert too_many.status_code == 422
    assert _version(shared_client, plan_id, bearer) == before


def test_a_quoted_idempotency_key_is_a_structured_field_string_and_the_same_key_as_its_bare_form(
    shared_server: Server, shared_client: httpx.Client, world: World, shared_token: TokenFactory
) -> None:
    """draft-ietf-httpapi-idempotency-key-header: the key is an RFC 8941 String; the bare form still works."""
    pro, org = _pro(world)
    bearer = shared_token(pro, org)
    plan_id = open_plan(shared_client, world, bearer)
    key = "8e03978e-40d5-43e8-bc93-6894a57f9324"
    note = {"type": "add_note", "category": "general", "text": "gebeld met school"}
    commands = f"/plans/{plan_id}/commands"
    answers = [
        shared_client.post(commands, json=note, headers=auth(bearer, **{"Idempotency-Key": value}))
        for value in (f'"{key}"', key, f'"{key}";origin=crm;retry=?1')
    ]
    assert answers[0].status_code == 200, answers[0].text
    assert {a.content for a in answers} == {answers[0].content}
    history = shared_client.get(f"/plans/{plan_id}/history", headers=auth(bearer)).json()["events"]
    assert [e["actor"]["command_id"] for e in history if e["type"] == "NoteAdded"] == [key]


@pytest.mark.parametrize(
    "value",
    ['"k-1', '"k-1"x', '"k\\-1"', '""', '"k 1"', '"k-1";Origin=crm', '"k-1", "k-2"', "k 1"],
)
def test_an_idempotency_key_that_is_neither_a_string_nor_a_bare_key_is_refused_with_422(
    shared_server: Server, shared_client: httpx.Client, world: World, shared_token: TokenFactory, value: str
) -> None:
    pro, org = _pro(world)
    bearer = shared_token(pro, org)
    plan_id = open_plan(shared_client, world, bearer)
    before = _version(shared_client, plan_id, bearer)
    note = {"type": "add_note", "category": "general", "text": "x"}
    response = shared_client.post(
        f"/plans/{plan_id}/commands", json=note, headers=auth(bearer, **{"Idempotency-Key": value})
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert _version(shared_client, plan_id, bearer) == before


def test_two_idempotency_keys_in_one_request_are_refused_with_422(
    shared_server: Server, shared_client: httpx.Client, world: World, shared_token: TokenFactory
) -> None:
    pro, org = _pro(world)
    bearer = shared_token(pro, org)
    plan_id = open_plan(shared_client, world, bearer)
    headers = [*auth(bearer).items(), ("Idempotency-Key", '"k-1"'), ("Idempotency-Key", '"k-2"')]
    note = {"type": "add_note", "category": "general", "text": "x"}
    response = shared_client.post(f"/plans/{plan_id}/commands", json=note, headers=headers)
    assert (response.status_code, response.headers["content-type"]) == (422, "application/problem+json")
