"""Over HTTP on PostgreSQL: a command waits while another process holds its plan's writer lock."""

from __future__ import annotations

import threading

import httpx
import psycopg
import pytest

from eenplan.api.settings import Settings
from eenplan.api.store.planlocks import PLAN_WRITERS, plan_key
from tests.conftest import STORE
from tests.e2e.conftest import Server, TokenFactory
from tests.e2e.partner_world import auth, open_plan, seed
from tests.integration.test_plan_locks import wait_until_queued

pytestmark = pytest.mark.skipif(STORE != "postgres", reason="advisory locks are PostgreSQL's")


def test_a_command_waits_for_the_plan_lock_another_process_holds_then_runs(
    settings: Settings, token: TokenFactory
) -> None:
    world = seed(settings)
    welfare = world.orgs["welfare"]
    bearer = token(world.pros[welfare][0], welfare)
    server = Server(settings)
    answers: list[int] = []
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            plan = open_plan(client, world, bearer)
            note = {"type": "add_note", "category": "general", "text": "op mijn beurt"}

            def send() -> None:
                response = client.post(f"/plans/{plan}/commands", json=note, headers=auth(bearer))
                answers.append(response.status_code)

            with psycopg.connect(settings.database_url, autocommit=True) as other_worker:
                other_worker.execute("SELECT pg_advisory_lock(%s, %s)", (PLAN_WRITERS, plan_key(plan)))
                sender = threading.Thread(target=send)
                sender.start()
                wait_until_queued(settings.database_url, plan)
                assert answers == []  # still waiting its turn
                other_worker.execute("SELECT pg_advisory_unlock(%s, %s)", (PLAN_WRITERS, plan_key(plan)))
                sender.join(timeout=30)
            assert answers == [200]
            notes = client.get(f"/plans/{plan}", headers=auth(bearer)).json()["notes"]
            assert [n["text"] for n in notes] == ["op mijn beurt"]
    finally:
        server.stop()
