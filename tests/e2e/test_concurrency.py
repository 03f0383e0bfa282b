"""Concurrent writers over HTTP: no lost update, contiguous versions."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.e2e.directory_setup import setup_tenant


def test_eight_threads_send_two_hundred_commands_to_one_plan_and_none_is_lost(
    shared_client: httpx.Client, shared_token: Any
) -> None:
    tenant = setup_tenant(shared_client, shared_token)
    reg = tenant.pro("welfare")
    plan = tenant.open_plan(reg)["plan_id"]
    headers = tenant.headers(reg)

    def send(i: int) -> int:
        with httpx.Client(base_url=str(shared_client.base_url), timeout=60) as own:
            body = {"type": "add_note", "category": "general", "text": f"note {i}"}
            return own.post(f"/plans/{plan}/commands", json=body, headers=headers).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(send, range(200)))
    assert statuses == [200] * 200
    events = shared_client.get(f"/plans/{plan}/history", headers=headers).json()["events"]
    assert [e["version"] for e in events] == list(range(1, len(events) + 1))
    notes = [e["data"]["text"] for e in events if e["type"] == "NoteAdded"]
    assert sorted(notes) == sorted(f"note {i}" for i in range(200))
