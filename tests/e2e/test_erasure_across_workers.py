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


REASON = "Melding acuut gevaar: kind alleen thuis aangetroffen"
# Each request on a connection of its own, so both workers serve some (they share one socket):
# the chance that one of them served none of 30 is about 2 in a billion.
ROUNDS = 30


@pytest.fixture
def two_workers(settings: Settings) -> Iterator[Server]:
    server = Server(settings, workers=2)
    try:
        yield server
    finally:
        server.stop()


def _each_on_a_new_connection(url: str, path: str, headers: dict[str, str]) -> list[httpx.Response]:
    answers = []
    for _ in range(ROUNDS):
        with httpx.Client(base_url=url, timeout=30) as fresh:
            answers.append(fresh.get(path, headers=headers))
    return answers


def test_after_erasure_no_worker_opens_a_value_with_a_key_it_had_cached(
    client: httpx.Client, two_workers: Server, token: TokenFactory
) -> None:
    """The break-the-glass reason is sealed under the household key and blanked by no event:
    only the key's destruction hides it, so a worker that kept the key would still show it."""
    world = setup(client, token, "social_work", "police")
    opened = open_plan(world, "social_work")
    plan_id, member_id = opened["plan_id"], opened["member_ids"][0]
    glass = client.post(
        f"/plans/{plan_id}/emergency-access", json={"reason": REASON}, headers=world.auth("police")
    )
    assert glass.status_code == 200, glass.text
    reads = [
        ("/privacy/emergency-access", world.officer()),
        (f"/plans/{plan_id}?version=1", world.auth("social_work")),
    ]
    for path, headers in reads:  # both workers unwrap the household and member keys, and cache them
        assert all(
            REASON in a.text or "Jansen" in a.text
            for a in _each_on_a_new_connection(two_workers.url, path, headers)
        )

    body = {"reason": "verzoek", "legal_ground": "avg_art_17"}
    erased = client.post(f"/subjects/{member_id}/erasure", json=body, headers=world.officer())
    assert erased.status_code == 200, erased.text  # the receipt: from here on no worker may open them

    for path, headers in reads:
        for answer in _each_on_a_new_connection(two_workers.url, path, headers):
            assert answer.status_code == 200, answer.text
            assert REASON not in answer.text and "Jansen" not in answer.text, path
    grants = client.get("/privacy/emergency-access", headers=world.officer()).json()["grants"]
    assert [g["reason"] for g in grants if g["plan_id"] == plan_id] == ["[erased]"]
