"""Erasure reaches every process: none serves a cached, decrypted copy afterwards.

Two server processes on one store stand for several API workers or hosts: the
second has the plan and its keys cached when the first erases the person.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from eenplan.api.settings import Settings
from tests.e2e.conftest import Server, TokenFactory
from tests.e2e.privacy_world import open_plan, setup


@pytest.fixture
def other_server(settings: Settings) -> Iterator[Server]:
    server = Server(settings)
    try:
        yield server
    finally:
        server.stop()


def test_after_erasure_another_process_does_not_show_the_values_it_had_cached(
    client: httpx.Client, other_server: Server, token: TokenFactory
) -> None:
    world = setup(client, token, "social_work")
    opened = open_plan(world, "social_work")
    plan_id, member_id = opened["plan_id"], opened["member_ids"][0]
    paths = [f"/plans/{plan_id}", f"/plans/{plan_id}?version=1", f"/plans/{plan_id}/history"]
    with httpx.Client(base_url=other_server.url, timeout=30) as other:
        for path in paths:  # warm the other process's aggregate and key caches
            assert "Jansen" in other.get(path, headers=world.auth("social_work")).text
        body = {"reason": "verzoek", "legal_ground": "avg_art_17"}
        assert (
            client.post(f"/subjects/{member_id}/erasure", json=body, headers=world.officer()).status_code
            == 200
        )
        for path in paths:
            answer = other.get(path, headers=world.auth("social_work"))
            assert answer.status_code == 200 and "Jansen" not in answer.text, path
