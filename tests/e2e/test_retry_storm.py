"""A retry storm: 2,000 commands, each sent 3 times at once, to two server processes.

Exactly one effect per command, and every copy gets the same answer, byte for byte. A developer
run sends 600 commands (the same 36 threads, so the same contention); CI sends all 2,000 (the
"ci" hypothesis profile, tests/conftest.py).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from eenplan.api.settings import Settings
from tests.conftest import full_size
from tests.e2e.conftest import Server, TokenFactory
from tests.e2e.partner_world import auth, open_plan, seed

COMMANDS, COPIES, PLANS, THREADS = full_size(ci=2000, dev=300), 3, 20, 36


@pytest.fixture
def two_workers(settings: Settings) -> Iterator[Server]:
    server = Server(settings, workers=2)
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_retry_storm_records_each_command_once_and_every_copy_gets_the_first_answer(
    settings: Settings, two_workers: Server, token: TokenFactory
) -> None:
    world = seed(settings)
    org = world.orgs["welfare"]
    bearer = token(world.pros[org][0], org)
    local = threading.local()

    def client() -> httpx.Client:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=two_workers.url, timeout=60)
        return local.client  # type: ignore[no-any-return]

    with httpx.Client(base_url=two_workers.url, timeout=60) as setup:
        plans = [open_plan(setup, world, bearer) for _ in range(PLANS)]

    def send(i: int) -> tuple[int, int, bytes, str]:
        note = {"type": "add_note", "category": "general", "text": f"storm {i}"}
        headers = auth(bearer, **{"Idempotency-Key": f"storm-{i}"})
        response = client().post(f"/plans/{plans[i % PLANS]}/commands", json=note, headers=headers)
        return i, response.status_code, response.content, response.headers.get("etag", "")

    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(send, [i for i in range(COMMANDS) for _ in range(COPIES)]))

    by_key: dict[int, set[tuple[int, bytes, str]]] = {}
    for i, status, body, etag in answers:
        by_key.setdefault(i, set()).add((status, body, etag))
    differing = {i: sorted((s, b[:200]) for s, b, _ in seen) for i, seen in by_key.items() if len(seen) > 1}
    example = next(iter(differing.items()), None)
    assert not differing, f"{len(differing)} commands' copies got different answers, as {example}"
    statuses = Counter(status for copies in by_key.values() for status, _, _ in copies)
    assert set(statuses) == {200}, f"answers by status: {dict(statuses)}"

    with httpx.Client(base_url=two_workers.url, timeout=60) as reader:
        recorded = Counter(
            e["actor"]["command_id"]
            for plan_id in plans
            for e in reader.get(f"/plans/{plan_id}/history", headers=auth(bearer)).json()["events"]
            if e["type"] == "NoteAdded"
        )
    assert sum(recorded.values()) == COMMANDS
    assert set(recorded) == {f"storm-{i}" for i in range(COMMANDS)}
