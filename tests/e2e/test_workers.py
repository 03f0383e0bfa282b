"""Many processes on one PostgreSQL: two API workers under concurrent clients, and one killed.

`eenplan serve --workers 2` runs two uvicorn worker processes behind one port, with the
projections turned off in the API and applied by two `eenplan project run` workers that
coordinate through PostgreSQL advisory locks.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from eenplan.api.bootstrap import build
from eenplan.api.settings import Settings
from eenplan.projections.rebuild import rebuild
from tests.conftest import STORE, full_size
from tests.e2e.conftest import Server
from tests.e2e.faultkit import Household, Stream, household
from tests.integration.projection_helpers import active, snapshot
from tests.processes import started, stop, until, worker

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900),
    pytest.mark.skipif(STORE != "postgres", reason="several server processes share one PostgreSQL"),
]
# 5,000 in CI (the "ci" hypothesis profile), 1,600 in a developer run: the same 16 clients, two
# per plan, so the same contention across the two workers; EENPLAN_E2E_COMMANDS sets any count.
COMMANDS = int(os.environ.get("EENPLAN_E2E_COMMANDS") or full_size(ci=5000, dev=800))
CLIENTS = 16
RACES_LOST: list[str] = []  # 409 "kept changing" answers seen by the clients


@pytest.fixture
def workers(settings: Settings) -> Iterator[Server]:
    # A killed worker's unanswered Idempotency-Key claims are taken over after this long.
    env = {"EENPLAN_IDEMPOTENCY_STALE_SECONDS": "3", "EENPLAN_PROJECTIONS_IN_PROCESS": "false"}
    srv = Server(settings, workers=2, extra_env=env)
    projectors = [worker(settings), worker(settings)]
    try:
        until(lambda: all(started(settings, p) for p in projectors), what="both projection workers running")
        yield srv
    finally:
        srv.stop()
        for projector in projectors:
            stop(projector)


def _worker_pids(server: Server) -> list[int]:
    """The uvicorn worker processes: children of the server that run the spawn entry point."""
    pids = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (proc / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == server.process.pid and b"spawn_main" in cmdline:
            pids.append(int(proc.name))
    return pids


def test_two_api_workers_take_concurrent_commands_and_the_store_holds_each_exactly_once(
    workers: Server, settings: Settings
) -> None:
    # Two clients per plan: real contention across the two processes. The plan's writers take turns
    # on its advisory lock (api/planlocks.py), so no command may run out of retries ("kept changing").
    homes = [household(settings) for _ in range(CLIENTS // 2)]
    sent: dict[str, list[str]] = {h.plan_id: [] for h in homes}
    lock = threading.Lock()

    def client(n: int) -> None:
        home = homes[n % len(homes)]
        with httpx.Client(base_url=workers.url, timeout=60, headers=home.headers) as http:
            for i in range(COMMANDS // CLIENTS):
                text = f"c{n}-{i}"
                body = {"type": "add_note", "category": "general", "text": text}
                response = _send(http, f"/plans/{home.plan_id}/commands", body, key=f"k-{n}-{i}")
                assert response.status_code == 200, response.text
                with lock:
                    sent[home.plan_id].append(text)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert len(_worker_pids(workers)) == 2
    assert RACES_LOST == [], f"{len(RACES_LOST)} commands ran out of retries across the workers"
    assert sum(len(v) for v in sent.values()) == COMMANDS // CLIENTS * CLIENTS
    for home in homes:
        stored = home.notes(settings)
        assert sorted(stored) == sorted(sent[home.plan_id])  # none missing, none twice
    _views_equal_a_rebuild(settings)


def _send(http: httpx.Client, path: str, body: dict[str, str], key: str) -> httpx.Response:
    """As a partner system would: retry a 409 "kept changing" (nothing was saved) with the same key."""
    for _ in range(20):
        response = http.post(path, json=body, headers={"Idempotency-Key": key})
        if response.status_code == 409 and "kept changing" in response.text:
            RACES_LOST.append(key)
        if response.status_code != 409 or not response.json()["type"].endswith("/concurrency"):
            return response
    return response


def _views_equal_a_rebuild(settings: Settings) -> None:
    """The projection workers caught up, and every view equals one rebuilt from position 0."""
    container = build(settings.model_copy(update={"projections_in_process": False}))
    try:
        head = int(container.eenplan.recorder.max_notification_id() or 0)
        db = container.projections.db
        for name, projection in container.projections.all.items():
            until(lambda n=name: active(db, n)[1] >= head, timeout=120, what=f"{name} to catch up")
            applied = active(db, name)[0]  # the workers' generation, before the rebuild swaps
            fresh = rebuild(container.eenplan, db, projection)
            assert fresh != applied
            assert snapshot(db, projection, applied) == snapshot(db, projection, fresh)
    finally:
        container.close()


def test_killing_one_api_worker_under_load_loses_nothing_and_applies_nothing_twice(
    workers: Server, settings: Settings
) -> None:
    home = household(settings)
    stream = Stream(workers.url, home, clients=4, retry=True)
    threads = stream.start()
    try:
        assert stream.wait_for_acks(more_than=30, timeout=60)
        victim = _worker_pids(workers)[0]
        os.kill(victim, signal.SIGKILL)
        acked = stream.acks()
        assert stream.wait_for_acks(more_than=acked + 60, timeout=90), stream.statuses[-20:]
    finally:
        stream.stop.set()
        for t in threads:
            t.join(timeout=60)
    assert 500 not in stream.statuses
    stored = home.notes(settings)
    assert set(stream.acked) <= set(stored)
    # Clients retried with the same Idempotency-Key, also for requests the dead worker had
    # stored but not answered: each note is there once.
    assert len(stored) == len(set(stored))
    assert victim not in _worker_pids(workers)


def _note_twice(workers: Server, home: Household) -> None:
    body = {"type": "add_note", "category": "general", "text": "twice"}
    headers = {**home.headers, "Idempotency-Key": "same-key-1"}
    with httpx.Client(base_url=workers.url, timeout=30, headers=headers) as http:
        first = http.post(f"/plans/{home.plan_id}/commands", json=body)
        again = http.post(f"/plans/{home.plan_id}/commands", json=body)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()


def test_a_retry_with_the_same_idempotency_key_is_applied_once(workers: Server, settings: Settings) -> None:
    home = household(settings)
    _note_twice(workers, home)
    assert home.notes(settings).count("twice") == 1
