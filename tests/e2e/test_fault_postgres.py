"""PostgreSQL faults under a stream of commands: a crash, and a statement timeout.

Each test runs its own throwaway cluster (never the shared test server) and its own server
process; bounded by timeouts, loopback only. PostgreSQL only: the faults are PostgreSQL's.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.conftest import STORE
from tests.e2e.conftest import Server
from tests.e2e.faultkit import Cluster, Stream, household, settings_for
from tests.factories import household as household_body

pytestmark = [
    pytest.mark.fault,
    pytest.mark.slow,
    pytest.mark.timeout(300),
    pytest.mark.skipif(STORE != "postgres", reason="kills a PostgreSQL server; SQLite has none"),
]


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    pg = Cluster()
    try:
        yield pg
    finally:
        pg.remove()


def test_a_killed_postgres_gives_503_meanwhile_loses_no_acknowledged_command_and_recovers_by_itself(
    cluster: Cluster, tmp_path: Path
) -> None:
    # Tuned as an operator would for fast failover: a second to connect or to get a pooled connection.
    settings = settings_for(cluster.url, tmp_path / "data", connect_timeout_seconds=1, pool_timeout_seconds=1)
    home = household(settings)
    server = Server(settings)
    # A request caught inside the outage is answered within a few of those seconds, not after the
    # store's ten retries per call: no client waits 15 s (api/storegate.py).
    stream = Stream(server.url, home, clients=2, timeout=15)
    threads = stream.start()
    try:
        assert stream.wait_for_acks(more_than=20, timeout=30), stream.statuses[-20:]
        cluster.kill()
        assert stream.wait_for(503, more_than=0, timeout=90), "no 503 while the store was down"
        cluster.restart()
        acked_at_restart = stream.acks()
        assert stream.wait_for_acks(more_than=acked_at_restart + 20, timeout=60), stream.statuses[-20:]
    finally:
        stream.stop.set()
        for t in threads:
            t.join(timeout=30)
        server.stop()
    assert set(stream.statuses) <= {200, 503}, (sorted(set(stream.statuses)), stream.transport_errors)
    stored = home.notes(settings)
    assert set(stream.acked) <= set(stored)
    assert len(stored) == len(set(stored))


def test_a_statement_timeout_gives_503_problems_and_never_a_partial_plan(
    cluster: Cluster, tmp_path: Path
) -> None:
    settings = settings_for(cluster.url, tmp_path / "data")
    home = household(settings)
    records_before = _records(cluster.url)
    server = Server(settings)  # at start-up it creates its tables: not under the timeout
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute("ALTER DATABASE postgres SET statement_timeout = '100ms'")
        # The server's pooled sessions started without the timeout: end them, so it reconnects.
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid()")
    try:
        with httpx.Client(base_url=server.url, timeout=60, headers=home.headers) as http:
            with psycopg.connect(cluster.url) as blocker:
                # A long writer holds the events table: every insert now runs into the timeout.
                blocker.execute("LOCK TABLE eenplan_events IN EXCLUSIVE MODE")
                # Two: each waits out the recorder's retries (the gate stays open, see below).
                refused = [http.post("/plans", json=_open_body(home)) for _ in range(2)]
                ready = http.get("/ready")  # the store answers: busy writes do not shut out the rest
            # A statement timeout is a busy store, not a down one: the gate's probe finds the
            # server, so the gate stays open (api/store/gate.py); clients follow Retry-After.
            opened = [_post_until_answered(http, _open_body(home)) for _ in range(4)]
    finally:
        server.stop()
        with psycopg.connect(cluster.url, autocommit=True) as conn:
            conn.execute("ALTER DATABASE postgres RESET statement_timeout")
    assert ready.status_code == 200, ready.text
    for response in refused:
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"].endswith("/store-unavailable")
    assert [r.status_code for r in opened] == [201] * 4, opened[-1].text
    # The refused opens wrote nothing; the log grew by exactly the acknowledged plans' records:
    # their events, one member registration per member, and per member the household index's
    # record for their name pseudonym (these members have no BSN) and its claim.
    written = sum(r.json()["version"] + 3 * len(r.json()["member_ids"]) for r in opened)
    assert _records(cluster.url) == records_before + written


def _post_until_answered(http: httpx.Client, body: dict[str, object]) -> httpx.Response:
    for _ in range(20):
        response = http.post("/plans", json=body)
        if response.status_code != 503:
            return response
        time.sleep(float(response.headers["Retry-After"]) / 4)
    return response


def _open_body(home: object) -> dict[str, object]:
    world = home.world  # type: ignore[attr-defined]
    return {
        "tenant": world.tenant,
        "team_id": world.team_id,
        "legal_basis": "wmo2015",
        "household": household_body("Sam"),
        "reason": "fault test",
    }


def _records(url: str) -> int:
    # Rows, not the highest notification id: a rolled-back insert still uses up sequence values.
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM eenplan_events").fetchone()
        return int(row[0]) if row else 0
