"""The change feed (SSE) over HTTP: in order, resumable, and only the caller's plans."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from eenplan.api.settings import Settings
from tests.conftest import fresh_store
from tests.e2e.conftest import Server, TokenFactory, token_factory
from tests.e2e.partner_world import auth, open_plan, seed
from tests.factories import World

# Makes its own ids and counts only what it made: the run's shared store and server will do.
pytestmark = pytest.mark.shared_store

HEARTBEAT = "heartbeat"
FAST = {"EENPLAN_CHANGES_POLL_SECONDS": "0.1", "EENPLAN_CHANGES_HEARTBEAT_SECONDS": "0.5"}


@pytest.fixture(scope="module")
def feed_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """One store for this module's tests: each reads only the plans of its own organisations."""
    directory = tmp_path_factory.mktemp("changes")
    with fresh_store(directory) as url:
        yield Settings(database_url=url, data_dir=directory / "data", log_json=True)


@pytest.fixture(scope="module")
def feed_server(feed_settings: Settings) -> Iterator[Server]:
    """A server that polls and beats fast, and honours a token to the second (no leeway), so a
    three-second token ends its stream after three seconds."""
    server = Server(feed_settings, extra_env={**FAST, "EENPLAN_JWT_LEEWAY_SECONDS": "0"})
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def world(feed_settings: Settings) -> World:
    """A directory of its own in the store of `feed_server`."""
    return seed(feed_settings)


@pytest.fixture
def token(feed_settings: Settings) -> TokenFactory:
    """Tokens `feed_server` trusts."""
    return token_factory(feed_settings)


def sse_items(client: httpx.Client, bearer: str, **headers: str) -> Iterator[Any]:
    """Events as dicts (with the SSE id), and HEARTBEAT for each comment line."""
    with client.stream("GET", "/changes", headers=auth(bearer, **headers), timeout=15) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        fields: dict[str, str] = {}
        for line in response.iter_lines():
            if line.startswith(":"):
                yield HEARTBEAT
            elif line == "" and "data" in fields:
                yield {**json.loads(fields["data"]), "sse_id": fields.get("id"), "event": fields["event"]}
                fields = {}
            elif ": " in line:
                name, _, value = line.partition(": ")
                fields[name] = value


def take(items: Iterator[Any], count: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for item in items:
        if item != HEARTBEAT:
            events.append(item)
        if len(events) == count:
            break
    return events


def _two_plans(client: httpx.Client, world: World, token: TokenFactory) -> tuple[str, str, str, str]:
    """A welfare plan with notes, then a police plan: (welfare token, plan A, police token, plan B)."""
    welfare, police = world.orgs["welfare"], world.orgs["police"]
    mine, theirs = token(world.pros[welfare][0], welfare), token(world.pros[police][0], police)
    plan_a = open_plan(client, world, mine)
    for i in range(5):
        note = {"type": "add_note", "category": "general", "text": f"notitie {i}"}
        assert client.post(f"/plans/{plan_a}/commands", json=note, headers=auth(mine)).status_code == 200
    plan_b = open_plan(client, world, theirs)
    return mine, plan_a, theirs, plan_b


def _version(client: httpx.Client, plan_id: str, bearer: str) -> int:
    return int(client.get(f"/plans/{plan_id}", headers=auth(bearer)).json()["version"])


def test_a_client_sees_its_plans_changes_in_order_without_personal_data_and_then_heartbeats(
    feed_server: Server, world: World, token: TokenFactory
) -> None:
    with httpx.Client(base_url=feed_server.url, timeout=30) as client:
        mine, plan_a, _, _ = _two_plans(client, world, token)
        versions = _version(client, plan_a, mine)
        items = sse_items(client, mine)
        events = take(items, versions)
        assert next(items) == HEARTBEAT  # idle: the other organisation's plan B is not sent
    assert [(e["plan_id"], e["version"]) for e in events] == [(plan_a, v) for v in range(1, versions + 1)]
    positions = [e["position"] for e in events]
    assert positions == sorted(positions) and [int(e["sse_id"]) for e in events] == positions
    assert events[0]["type"] == "Opened" and events[-1]["type"] == "NoteAdded"
    assert {k for e in events for k in e} == {"plan_id", "version", "type", "position", "sse_id", "event"}


def test_a_client_resumes_with_last_event_id_with_no_gap_and_no_duplicate(
    feed_server: Server, world: World, token: TokenFactory
) -> None:
    with httpx.Client(base_url=feed_server.url, timeout=30) as client:
        mine, plan_a, _, _ = _two_plans(client, world, token)
        versions = _version(client, plan_a, mine)
        first = take(sse_items(client, mine), 3)  # then the client disconnects
        more = {"type": "add_note", "category": "general", "text": "na de onderbreking"}
        assert client.post(f"/plans/{plan_a}/commands", json=more, headers=auth(mine)).status_code == 200
        rest = take(sse_items(client, mine, **{"Last-Event-ID": first[-1]["sse_id"]}), versions + 1 - 3)
    seen = [e["version"] for e in first + rest]
    assert seen == list(range(1, versions + 2))


def test_a_client_of_another_organisation_sees_none_of_them(
    feed_server: Server, world: World, token: TokenFactory
) -> None:
    with httpx.Client(base_url=feed_server.url, timeout=30) as client:
        _, plan_a, theirs, plan_b = _two_plans(client, world, token)
        versions_b = _version(client, plan_b, theirs)
        items = sse_items(client, theirs)
        events = take(items, versions_b)
        assert next(items) == HEARTBEAT  # idle: nothing else is coming
    assert {e["plan_id"] for e in events} == {plan_b}
    assert plan_a not in {e["plan_id"] for e in events}


def test_the_stream_ends_with_its_token_and_a_new_token_resumes_where_it_ended(
    feed_server: Server, world: World, token: TokenFactory
) -> None:
    welfare = world.orgs["welfare"]
    pro = world.pros[welfare][0]
    with httpx.Client(base_url=feed_server.url) as client:
        plan = open_plan(client, world, token(pro, welfare))
        items = list(sse_items(client, token(pro, welfare, ttl=3)))  # ends by itself
        last = [i for i in items if i != HEARTBEAT and i["event"] == "plan.changed"][-1]
        note = {"type": "add_note", "category": "general", "text": "na het verlopen"}
        fresh = token(pro, welfare)
        assert client.post(f"/plans/{plan}/commands", json=note, headers=auth(fresh)).status_code == 200
        resumed = take(sse_items(client, fresh, **{"Last-Event-ID": last["sse_id"]}), 1)
    assert items[-1] == {"reason": "token_expired", "sse_id": None, "event": "stream.closed"}
    assert last["plan_id"] == plan
    assert resumed[0]["type"] == "NoteAdded" and int(resumed[0]["sse_id"]) > int(last["sse_id"])
