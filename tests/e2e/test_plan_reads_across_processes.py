"""A plan read answers from the process's own copy only while it is current, whoever wrote since.

Two server processes on one store stand for several API workers or hosts: the second has the
plan cached (read once) when the first changes it, grants emergency access to it, or ends that
access. The second's next read shows each change, with the ETag of the version it shows.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from eenplan.api.bootstrap import build_stack
from eenplan.api.settings import Settings
from eenplan.privacy.mapper import key_id
from tests.e2e.conftest import Server, TokenFactory
from tests.e2e.privacy_world import open_plan, setup

REASON = "Melding acuut gevaar: kind alleen thuis aangetroffen"
REJECT = {"decision": "rejected", "reason": "Geen spoed: de melding ging over een ander gezin"}


# On the run's shared store and server: the tests make their own worlds and plans.
pytestmark = pytest.mark.shared_store


@pytest.fixture(scope="module")
def other(shared_settings: Settings, shared_server: Server) -> Iterator[httpx.Client]:
    """A second server process on the shared store (the `client` fixture's server is the first)."""
    second = Server(shared_settings)
    try:
        with httpx.Client(base_url=second.url, timeout=30) as client:
            yield client
    finally:
        second.stop()


def test_a_change_made_by_another_process_is_in_the_next_read_with_its_etag(
    client: httpx.Client, other: httpx.Client, token: TokenFactory
) -> None:
    world = setup(client, token, "social_work")
    plan_id = open_plan(world, "social_work")["plan_id"]
    mine = world.auth("social_work")
    before = other.get(f"/plans/{plan_id}", headers=mine)  # the second process now has it cached
    assert before.status_code == 200, before.text
    version = before.json()["version"]

    for n in (1, 2):  # twice: the copy made from the first change must not stay either
        text = f"gesprek {n} met de school"
        world.command("social_work", plan_id, type="add_note", category="general", text=text)
        after = other.get(f"/plans/{plan_id}", headers=mine)
        assert after.status_code == 200, after.text
        assert after.json()["version"] == version + n
        assert after.headers["etag"] == f'"{version + n}"'
        assert text in {note["text"] for note in after.json()["notes"]}
        held = {"If-None-Match": f'"{version + n - 1}"'}
        assert other.get(f"/plans/{plan_id}", headers={**mine, **held}).status_code == 200
        current = {"If-None-Match": f'"{version + n}"'}
        assert other.get(f"/plans/{plan_id}", headers={**mine, **current}).status_code == 304


def test_emergency_access_granted_and_ended_by_another_process_counts_at_the_next_read(
    client: httpx.Client, other: httpx.Client, token: TokenFactory
) -> None:
    world = setup(client, token, "social_work", "police")
    plan_id = open_plan(world, "social_work")["plan_id"]
    assert other.get(f"/plans/{plan_id}", headers=world.auth("social_work")).status_code == 200
    police = world.auth("police")
    assert other.get(f"/plans/{plan_id}", headers=police).status_code == 404

    granted = client.post(f"/plans/{plan_id}/emergency-access", json={"reason": REASON}, headers=police)
    assert granted.status_code == 200, granted.text
    seen = other.get(f"/plans/{plan_id}", headers=police)
    assert (seen.status_code, seen.json()["relation"]) == (200, "emergency"), seen.text

    grant_id = granted.json()["grant_id"]
    rejected = client.post(
        f"/privacy/emergency-access/{grant_id}/review", json=REJECT, headers=world.officer()
    )
    assert rejected.status_code == 200, rejected.text
    assert other.get(f"/plans/{plan_id}", headers=police).status_code == 404


def test_a_key_destroyed_without_an_event_on_the_plan_is_seen_by_every_process_at_its_next_read(
    client: httpx.Client, other: httpx.Client, token: TokenFactory, settings: Settings
) -> None:
    """An erasure destroys the member's key on the plans their data was carried from (a merge, a
    split) without an event on those plans: no version moves, yet no process may go on showing
    the values it decrypted before. Here the key is destroyed as that erasure does it."""
    world = setup(client, token, "social_work")
    plan_id = open_plan(world, "social_work")["plan_id"]
    mine = world.auth("social_work")
    seen = [other.get(f"/plans/{plan_id}", headers=mine) for _ in range(2)]  # cached, and served from it
    member = seen[-1].json()["members"][0]
    assert member["family_name"].startswith("Jansen"), member

    _, privacy = build_stack(settings)
    privacy.keyring.destroy([key_id(plan_id, member["member_id"])])

    for reader in (other, client):
        after = reader.get(f"/plans/{plan_id}", headers=mine)
        assert after.status_code == 200, after.text
        assert member["family_name"] not in after.text, "a value whose key is destroyed still shows"
