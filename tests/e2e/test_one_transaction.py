"""A plan command commits in one transaction: its key's claim and reply, its events and chain
links, and its processing-log lines. When the last of them cannot be written, none is. So do
breaking the glass (its grant, its key and its line), a help request, a partner's signal and a
single CloudEvent (their events, their key and their lines).

The processing log is made to refuse one command's line (a trigger on the store under test); the
command then answers an error, and the plan, the chain, the key and the log are as before it: a
retry with the same key runs the command (it is not answered as a replay of a change that was
never kept), once the log takes lines again.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from typing import Any

import httpx
import psycopg
import pytest

from eenplan.api.settings import Settings
from tests.conftest import STORE
from tests.e2e.conftest import Server, TokenFactory, token_factory
from tests.e2e.partner_world import auth, cloudevent, open_plan, police_system_on_plan, seed
from tests.e2e.privacy_world import open_plan as open_plan_of
from tests.e2e.privacy_world import setup
from tests.factories import uid

MARK = "kan-niet-gelogd-worden"


def _sql(settings: Settings, *statements: str) -> list[Any]:
    """Run statements on the store under test; the rows of the last."""
    rows: list[Any] = []
    if STORE == "postgres":
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            for statement in statements:
                cursor = conn.execute(statement)
                rows = cursor.fetchall() if cursor.description else []
        return rows
    path = settings.database_url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path, isolation_level=None, timeout=10)) as conn:
        for statement in statements:
            rows = conn.execute(statement).fetchall()
    return rows


def _refuse_log_lines(settings: Settings) -> None:
    """A trigger that refuses processing-log lines while a marker row exists."""
    if STORE == "postgres":
        _sql(
            settings,
            "CREATE TABLE IF NOT EXISTS test_log_down (on_ boolean)",
            "CREATE OR REPLACE FUNCTION test_log_down() RETURNS trigger AS $$ BEGIN "
            "IF EXISTS (SELECT 1 FROM test_log_down) THEN "
            "RAISE EXCEPTION 'processing log down' USING ERRCODE = '53100'; END IF; RETURN NEW; END $$ "
            "LANGUAGE plpgsql",
            "CREATE TRIGGER test_log_down BEFORE INSERT ON processing_log "
            "FOR EACH ROW EXECUTE FUNCTION test_log_down()",
            "INSERT INTO test_log_down VALUES (true)",
        )
        return
    _sql(
        settings,
        "CREATE TABLE IF NOT EXISTS test_log_down (on_ INTEGER)",
        "CREATE TRIGGER test_log_down BEFORE INSERT ON processing_log "
        "WHEN EXISTS (SELECT 1 FROM test_log_down) BEGIN SELECT RAISE(ABORT, 'processing log down'); END",
        "INSERT INTO test_log_down VALUES (1)",
    )


def _counts(settings: Settings) -> tuple[int, int, int, int]:
    prefix = "eenplan" if STORE == "postgres" else "stored"
    (row,) = _sql(
        settings,
        f"SELECT (SELECT COUNT(*) FROM {prefix}_events), (SELECT COUNT(*) FROM {prefix}_chain), "
        "(SELECT COUNT(*) FROM eenplan_idempotency_keys), (SELECT COUNT(*) FROM processing_log)",
    )
    return tuple(int(n) for n in row)  # type: ignore[return-value]


def _after_outage(send: Callable[[], httpx.Response]) -> httpx.Response:
    """As a client does after a 503: again after its Retry-After, while the store gate reopens."""
    for _ in range(10):
        response = send()
        if response.status_code != 503:
            return response
        time.sleep(float(response.headers.get("retry-after", "1")))
    return response


@pytest.fixture
def world(settings: Settings) -> Iterator[tuple[httpx.Client, str, str]]:
    seeded = seed(settings)
    org = seeded.orgs["welfare"]
    bearer = token_factory(settings)(seeded.pros[org][0], org)
    server = Server(settings)
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            yield client, open_plan(client, seeded, bearer), bearer
    finally:
        server.stop()


def test_a_command_whose_log_line_cannot_be_written_leaves_no_event_no_link_no_key_and_no_line(
    world: tuple[httpx.Client, str, str], settings: Settings
) -> None:
    client, plan_id, bearer = world
    version = client.get(f"/plans/{plan_id}", headers=auth(bearer)).json()["version"]
    note = {"type": "add_note", "text": "gesprek met moeder", "category": "general"}
    key = {"Idempotency-Key": f'"{uid("k")}"'}
    before = _counts(settings)

    _refuse_log_lines(settings)
    # On a connection of its own: after a 500 the server closes the connection it answered on.
    refused = httpx.post(
        f"{client.base_url}/plans/{plan_id}/commands", json=note, headers=auth(bearer, **key), timeout=60
    )
    assert refused.status_code >= 500, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert _counts(settings) == before, "events, chain links, key and log lines: all or nothing"

    _sql(settings, "DELETE FROM test_log_down")
    now = _after_outage(lambda: client.get(f"/plans/{plan_id}", headers=auth(bearer)))
    assert now.status_code == 200 and now.json()["version"] == version, now.text
    retried = _after_outage(
        lambda: client.post(f"/plans/{plan_id}/commands", json=note, headers=auth(bearer, **key))
    )
    assert retried.status_code == 200, retried.text
    assert retried.json()["version"] == version + 1, "run now, not a replay of a change never kept"
    events, links, keys, lines = _counts(settings)
    assert (events, links, keys) == (before[0] + 1, before[1] + 1, before[2] + 1) and lines > before[3]
    log = client.get(
        f"/plans/{plan_id}/processing-log",
        headers={"Authorization": f"Bearer {token_factory(settings)('auditor-1', 'gemeente', 'auditor')}"},
    )
    if log.status_code == 200:
        names = [entry["name"] for entry in log.json()["entries"]]
        assert names.count("add_note") == 1 and "add_note:replay" not in names


def _glass_counts(settings: Settings, plan_id: str) -> tuple[int, int, int]:
    """Grants on the plan, idempotency keys, and the plan's break-the-glass log lines."""
    (row,) = _sql(
        settings,
        f"SELECT (SELECT COUNT(*) FROM privacy_emergency_access WHERE plan_id = '{plan_id}'), "
        "(SELECT COUNT(*) FROM eenplan_idempotency_keys), "
        f"(SELECT COUNT(*) FROM processing_log WHERE plan_id = '{plan_id}' AND name = 'break_the_glass')",
    )
    return tuple(int(n) for n in row)  # type: ignore[return-value]


def test_break_the_glass_whose_log_line_cannot_be_written_leaves_no_grant_no_key_and_no_line(
    client: httpx.Client, token: TokenFactory, settings: Settings
) -> None:
    """Before, the grant committed on its own: a grant of emergency access with no line in the
    processing log, and a retry with the same key found the grant and wrote no line either."""
    world = setup(client, token, "social_work", "police")
    plan_id = str(open_plan_of(world, "social_work")["plan_id"])
    body = {"reason": "Melding acuut gevaar: kind alleen thuis aangetroffen"}
    police = {**world.auth("police"), "Idempotency-Key": f'"{uid("k")}"'}
    before = _glass_counts(settings, plan_id)

    _refuse_log_lines(settings)
    refused = httpx.post(
        f"{client.base_url}/plans/{plan_id}/emergency-access", json=body, headers=police, timeout=60
    )
    assert refused.status_code >= 500, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert _glass_counts(settings, plan_id) == before, "grant, key and log line: all or nothing"

    _sql(settings, "DELETE FROM test_log_down")
    retried = _after_outage(
        lambda: client.post(f"/plans/{plan_id}/emergency-access", json=body, headers=police)
    )
    assert retried.status_code == 200, retried.text
    assert _glass_counts(settings, plan_id) == (before[0] + 1, before[1] + 1, before[2] + 1)


HELP_REQUEST = {
    "tenant": "GM0687",
    "channel": "phone",
    "topics": ["money"],
    "summary": "Belt over schulden",
    "contact": {"given_name": "Ria", "family_name": "Bakker", "phone": "0612345678"},
}
SIGNAL = {
    "tenant": "GM0687",
    "type": "domestic_violence_report",
    "person": {"given_name": "Ria", "family_name": "Bakker", "birth_date": "1980-03-04"},
    "area": "Oost",
}


@pytest.mark.parametrize(
    ("path", "body", "kind"),
    [("/help-requests", HELP_REQUEST, "social_work"), ("/signals", SIGNAL, "police")],
)
def test_an_intake_whose_log_line_cannot_be_written_leaves_no_event_no_key_and_no_line(
    client: httpx.Client, token: TokenFactory, settings: Settings, path: str, body: dict[str, Any], kind: str
) -> None:
    world = setup(client, token, "social_work", "police")
    headers = {**world.auth(kind), "Idempotency-Key": f'"{uid("k")}"'}
    before = _counts(settings)

    _refuse_log_lines(settings)
    refused = httpx.post(f"{client.base_url}{path}", json=body, headers=headers, timeout=60)
    assert refused.status_code >= 500, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert _counts(settings) == before, "events, chain links, key and log lines: all or nothing"

    _sql(settings, "DELETE FROM test_log_down")
    retried = _after_outage(lambda: client.post(path, json=body, headers=headers))
    assert retried.status_code == 201, retried.text
    events, links, keys, lines = _counts(settings)
    assert events > before[0] and links == before[1] + events - before[0] and keys == before[2] + 1
    assert lines > before[3]


def test_a_cloudevent_whose_log_line_cannot_be_written_leaves_no_event_no_key_and_no_line(
    settings: Settings,
) -> None:
    """A single event (structured mode) is a plan command, and commits as one."""
    seeded = seed(settings)
    server = Server(settings)
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            plan_id, officer, _, system = police_system_on_plan(client, seeded, token_factory(settings))
            note = {"category": "justice", "text": "geen incidenten sinds de aangifte"}
            event = cloudevent(plan_id, "nl.eenplan.note.added", note, id_=uid("e"), actingfor=officer)
            headers = auth(system, **{"content-type": "application/cloudevents+json"})

            def send() -> httpx.Response:
                body = json.dumps(event).encode()
                return httpx.post(f"{client.base_url}/events", content=body, headers=headers, timeout=60)

            before = _counts(settings)
            _refuse_log_lines(settings)
            refused = send()
            assert refused.status_code >= 500, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert _counts(settings) == before, "events, chain links, key and log lines: all or nothing"

            _sql(settings, "DELETE FROM test_log_down")
            retried = _after_outage(send)
            assert retried.status_code == 200, retried.text
            events, links, keys, lines = _counts(settings)
            assert (events, links, keys) == (before[0] + 1, before[1] + 1, before[2] + 1) and lines > before[
                3
            ]
    finally:
        server.stop()
