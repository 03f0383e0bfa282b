"""Projection reads on a real streaming replica (EENPLAN_READ_DATABASE_URL), over HTTP.

The replica is a hot standby of the test's PostgreSQL server, started by `ops/pg replica` and
made to lag on purpose by pausing its WAL replay. Commands go to the primary; the projection
runner writes the views there; `GET /plans` reads them on the replica.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest

from eenplan.api.settings import Settings
from tests.conftest import POSTGRES_URL, STORE
from tests.e2e.conftest import EENPLAN, ROOT, Server, TokenFactory
from tests.e2e.partner_world import auth, open_body, seed

PG = str(ROOT / "ops" / "pg")
READ_TIMEOUT = 3  # EENPLAN_READ_YOUR_WRITES_TIMEOUT_SECONDS of the servers here

postgres_only = pytest.mark.skipif(
    STORE != "postgres", reason="a read replica is a PostgreSQL streaming replica; SQLite has none"
)


def same_database(server_url: str, database_url: str) -> str:
    """`server_url` (a server's postgres database) with the database of `database_url`."""
    return urlunsplit(urlsplit(server_url)._replace(path=urlsplit(database_url).path))


@dataclass
class Replica:
    dir: Path
    url: str  # the test's database, on the replica

    def pause(self) -> None:
        self._replay("pause")

    def resume(self) -> None:
        self._replay("resume")

    def _replay(self, action: str) -> None:
        done = subprocess.run([PG, action, str(self.dir)], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture
def replica(settings: Settings) -> Iterator[Replica]:
    """A streaming replica of the test's PostgreSQL server (so of the test's database), stopped
    and removed whatever the test does."""
    directory = Path(tempfile.mkdtemp(prefix="eenplan-replica-", dir="/tmp"))
    directory.chmod(0o755)
    try:
        started = subprocess.run(
            [PG, "replica", POSTGRES_URL, str(directory / "replica")],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert started.returncode == 0, started.stderr[-2000:]
        yield Replica(directory / "replica", same_database(started.stdout.strip(), settings.database_url))
    finally:
        subprocess.run([PG, "stop", str(directory / "replica")], capture_output=True, timeout=60, check=False)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def replica_server(settings: Settings, replica: Replica) -> Iterator[Server]:
    """`eenplan serve` on the test's database, its projection reads on the replica."""
    srv = Server(
        settings,
        extra_env={
            "EENPLAN_READ_DATABASE_URL": replica.url,
            "EENPLAN_READ_YOUR_WRITES_TIMEOUT_SECONDS": str(READ_TIMEOUT),
        },
    )
    try:
        yield srv
    finally:
        srv.stop()


def listed(client: httpx.Client, bearer: str, **params: int) -> list[str]:
    response = client.get("/plans", params=params, headers=auth(bearer))
    assert response.status_code == 200, response.text
    return [row["plan_id"] for row in response.json()["items"]]


def on_the_primary(settings: Settings, plan_id: str) -> bool:
    """Whether the primary's serving `plans` view holds the plan."""
    with psycopg.connect(settings.database_url) as conn:
        ((generation,),) = conn.execute("SELECT generation FROM eenplan_projections WHERE name = 'plans'")
        rows = conn.execute(f"SELECT 1 FROM pv_plans_g{int(generation)} WHERE plan_id = %s", (plan_id,))
        return rows.fetchone() is not None


def until(check: object, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@postgres_only
def test_projection_reads_come_from_the_replica_and_show_a_write_once_it_is_replayed(
    settings: Settings, replica: Replica, replica_server: Server, token: TokenFactory
) -> None:
    world = seed(settings)
    org = world.orgs["welfare"]
    bearer = token(world.pros[org][0], org)
    with httpx.Client(base_url=replica_server.url, timeout=30) as client:
        first = client.post("/plans", json=open_body(world), headers=auth(bearer)).json()
        assert listed(client, bearer, min_position=first["position"]) == [first["plan_id"]]

        replica.pause()
        opened = client.post("/plans", json=open_body(world), headers=auth(bearer))
        assert opened.status_code == 201, opened.text
        plan_id, position = opened.json()["plan_id"], opened.json()["position"]
        # The runner applied it on the primary (every projection); the replica has not replayed it.
        until(lambda: all(p["position"] >= position for p in client.get("/ready").json()["projections"]))
        assert on_the_primary(settings, plan_id)
        seen = client.get("/ready").json()["read_replica"]
        assert (seen["status"], seen["replay_paused"]) == ("ready", True)
        assert all(p["position"] < position for p in seen["projections"])
        assert plan_id not in listed(client, bearer)
        caseload = client.get("/caseload", headers=auth(bearer)).json()["items"]
        assert plan_id not in [row["plan_id"] for row in caseload]

        replica.resume()
        until(lambda: plan_id in listed(client, bearer))
        assert client.get("/ready").json()["read_replica"]["replay_paused"] is False


@postgres_only
def test_min_position_waits_for_the_lagging_replica_and_answers_503_if_it_stays_behind(
    settings: Settings, replica: Replica, replica_server: Server, token: TokenFactory
) -> None:
    world = seed(settings)
    org = world.orgs["welfare"]
    bearer = token(world.pros[org][0], org)
    with httpx.Client(base_url=replica_server.url, timeout=30) as client:
        replica.pause()
        opened = client.post("/plans", json=open_body(world), headers=auth(bearer)).json()
        resumer = threading.Timer(1.0, replica.resume)
        began = time.monotonic()
        resumer.start()
        try:
            assert listed(client, bearer, min_position=opened["position"]) == [opened["plan_id"]]
        finally:
            resumer.join()
        assert 1.0 <= time.monotonic() - began < READ_TIMEOUT

        replica.pause()
        try:
            later = client.post("/plans", json=open_body(world), headers=auth(bearer)).json()
            began = time.monotonic()
            lagging = client.get("/plans", params={"min_position": later["position"]}, headers=auth(bearer))
            assert time.monotonic() - began >= READ_TIMEOUT
            assert lagging.status_code == 503, lagging.text
            assert lagging.headers["content-type"] == "application/problem+json"
            assert lagging.json()["type"].endswith("projection-lagging")
            assert lagging.headers["retry-after"] == "1"
        finally:
            replica.resume()


@postgres_only
def test_an_unreachable_replica_fails_only_the_projection_reads_with_503(
    settings: Settings, token: TokenFactory
) -> None:
    closed = same_database(
        f"postgresql://postgres@127.0.0.1:{_closed_port()}/postgres", settings.database_url
    )
    srv = Server(
        settings, extra_env={"EENPLAN_READ_DATABASE_URL": closed, "EENPLAN_POOL_TIMEOUT_SECONDS": "1"}
    )
    try:
        world = seed(settings)
        org = world.orgs["welfare"]
        bearer = token(world.pros[org][0], org)
        with httpx.Client(base_url=srv.url, timeout=30) as client:
            for _ in range(2):  # the second command proves the store's breaker was not tripped
                read = client.get("/caseload", headers=auth(bearer))
                assert read.status_code == 503, read.text
                assert read.json()["type"].endswith("read-replica-unavailable")
                opened = client.post("/plans", json=open_body(world), headers=auth(bearer))
                assert opened.status_code == 201, opened.text
                assert (
                    client.get(f"/plans/{opened.json()['plan_id']}", headers=auth(bearer)).status_code == 200
                )
            ready = client.get("/ready")
            assert ready.status_code == 200
            assert ready.json()["read_replica"]["status"] == "unavailable"
    finally:
        srv.stop()


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens on it once the socket is closed


def test_start_up_refuses_a_read_replica_on_sqlite(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "EENPLAN_DATABASE_URL": f"sqlite:///{tmp_path / 'eenplan.db'}",
        "EENPLAN_DATA_DIR": str(tmp_path / "data"),
        "EENPLAN_READ_DATABASE_URL": "postgresql://reader:secret@replica.internal/eenplan",
    }
    process = subprocess.run(
        [str(EENPLAN), "serve", "--port", "0"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert process.returncode != 0
    output = process.stdout + process.stderr
    assert "EENPLAN_READ_DATABASE_URL needs EENPLAN_DATABASE_URL on PostgreSQL" in output
    assert "secret" not in output
