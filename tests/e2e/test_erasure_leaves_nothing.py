"""Erasure over HTTP leaves nothing of the person on disk, also when a reader held the store.

A household opened from a phone request, with a signal about the mother and a note, is
erased while another connection holds a read transaction open. The erasure answers
"pending" (202) while old row versions can still be in the store's files, and the search
below still finds the wrapped keys there: the search works. Once the reader is gone the
server completes the erasure by itself; then no file of the store or the data directory,
no server log and no pg_dump holds the person's values or the wrapped key bytes.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg
import pytest

from eenplan.api.settings import Settings
from tests.e2e import residue
from tests.e2e.conftest import Server, TokenFactory
from tests.e2e.directory_setup import register_municipality
from tests.e2e.privacy_world import HttpWorld, setup

FAST = {"EENPLAN_ERASURE_WAIT_SECONDS": "1", "EENPLAN_ERASURE_RETRY_SECONDS": "1"}
PERSON = {
    "given_name": "Zwaantje",
    "family_name": "Oosterhuisberg",
    "birth_date": "1979-03-14",
    "bsn": "123456782",
}
PHONE, EMAIL = "0687654321", "zwaantje.oosterhuisberg@example.nl"
SUMMARY, NOTE = "Vraagt hulp bij schulden van haar ex-partner", "Vermoeden van huiselijk geweld thuis"
ADDRESS = {"street": "Kromme Nieuwegracht", "house_number": "7", "postal_code": "3512 HK", "city": "Utrecht"}


@pytest.fixture
def fast(settings: Settings) -> Iterator[httpx.Client]:
    server = Server(settings, extra_env=FAST)
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            yield client
    finally:
        server.stop()


@contextmanager
def reader_holding_the_store(settings: Settings) -> Iterator[None]:
    """Another connection in the middle of a read transaction that began before the erasure."""
    if settings.is_postgres:
        with psycopg.connect(settings.database_url) as conn:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            conn.execute("SELECT count(*) FROM privacy_keys").fetchone()
            yield
            conn.rollback()
        return
    conn = sqlite3.connect(settings.database_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.execute("SELECT count(*) FROM privacy_keys").fetchone()
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()


def household_from_a_phone_call(world: HttpWorld, token: TokenFactory) -> dict[str, Any]:
    """The request, the plan opened from it, a signal and a note (under an idempotency key)."""
    pro = world.auth("social_work")
    contact = {
        "given_name": PERSON["given_name"],
        "family_name": PERSON["family_name"],
        "phone": PHONE,
        "email": EMAIL,
    }
    body = {
        "tenant": "GM0687",
        "channel": "phone",
        "topics": ["money"],
        "summary": SUMMARY,
        "contact": contact,
    }
    request = world.client.post("/help-requests", json=body, headers=pro)
    assert request.status_code == 201, request.text
    request_id = request.json()["request_id"]
    signal = {"tenant": "GM0687", "type": "domestic_violence_report", "person": PERSON, "area": "Oost"}
    admin = register_municipality(world.client, token, "GM0687")
    org = {"id": "politie-utrecht", "name": "Politie", "kind": "police", "tenants": ["GM0687"]}
    assert world.client.post("/organisations", json=org, headers=admin).status_code == 201
    system = {"id": "sys-politie", "name": "BVH"}
    assert (
        world.client.post("/organisations/politie-utrecht/systems", json=system, headers=admin).status_code
        == 201
    )
    police = {"Authorization": f"Bearer {token('sys-politie', 'politie-utrecht', 'partner_system')}"}
    assert world.client.post("/signals", json=signal, headers=police).status_code == 201
    members = [{**PERSON, "role": "parent"}]
    opening = {"type": "open_plan", "tenant": "GM0687", "team_id": world.team_id, "legal_basis": "wmo2015",
               "household": {"members": members, "address": ADDRESS}, "reason": "schulden"}  # fmt: skip
    opened = world.client.post(f"/help-requests/{request_id}/commands", json=opening, headers=pro)
    assert opened.status_code == 200, opened.text
    plan_id = opened.json()["plan_id"]
    note = {"type": "add_note", "category": "safety", "text": NOTE}
    keyed = {**pro, "Idempotency-Key": "note-1"}
    assert world.client.post(f"/plans/{plan_id}/commands", json=note, headers=keyed).status_code == 200
    return {"request_id": request_id, "plan_id": plan_id, "note": note, "keyed": keyed}


def wrapped_keys(settings: Settings, *ids: str) -> dict[str, bytes]:
    from tests.integration.tamper import RawStore

    raw = RawStore(settings.database_url)
    rows = raw.run("SELECT key_id, wrapped FROM privacy_keys WHERE wrapped IS NOT NULL")
    return {f"key {k}": str(w).encode() for k, w in rows if any(str(k).startswith(i) for i in ids)}


def completed(
    client: httpx.Client, location: str, headers: dict[str, str], seconds: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        receipt: dict[str, Any] = client.get(location, headers=headers).json()
        if receipt["status"] == "complete":
            return receipt
        time.sleep(0.5)
    raise AssertionError(f"the erasure did not complete: {receipt}")


def test_an_erasure_behind_an_open_reader_completes_by_itself_and_leaves_no_trace(
    fast: httpx.Client, token: TokenFactory, settings: Settings
) -> None:
    world = setup(fast, token, "social_work")
    held = household_from_a_phone_call(world, token)
    member_id = fast.get(f"/plans/{held['plan_id']}", headers=world.auth("social_work")).json()["members"][0][
        "member_id"
    ]
    export = fast.get(f"/subjects/{member_id}/export", headers=world.officer())
    assert (
        export.status_code == 200 and PHONE in export.text and NOTE in export.text and SUMMARY in export.text
    )
    file_id = export.json()["signals"][0]["file_id"]
    keys = wrapped_keys(settings, held["plan_id"], held["request_id"], file_id)
    assert len(keys) == 4  # household, member, help request, signal file
    values = {
        k: str(v).encode()
        for k, v in {**PERSON, "phone": PHONE, "email": EMAIL, "summary": SUMMARY, "note": NOTE}.items()
    }

    with reader_holding_the_store(settings):
        erased = fast.post(
            f"/subjects/{member_id}/erasure",
            json={"reason": "verzoek", "legal_ground": "avg_art_17"},
            headers=world.officer(),
        )
        assert erased.status_code == 202, erased.text
        assert erased.json()["status"] == "pending" and erased.json()["household"] is True
        time.sleep(2.5)  # housekeeping tries again meanwhile, and must still wait
        assert fast.get(erased.headers["location"], headers=world.officer()).json()["status"] == "pending"
        assert residue.where(settings, keys), "the search does not see the old row versions a reader keeps"

    receipt = completed(fast, erased.headers["location"], world.officer())
    assert receipt["records"] == {"plans": 1, "help_requests": 1, "signal_files": 1}
    assert residue.where(settings, {**values, **keys}) == {}
    repeat = fast.post(f"/plans/{held['plan_id']}/commands", json=held["note"], headers=held["keyed"])
    assert repeat.status_code == 410 and repeat.json()["type"].endswith("/answer-erased")
    after = fast.get(f"/subjects/{member_id}/export", headers=world.officer()).json()
    assert after["help_requests"][0]["contact"]["phone"] == "[erased]" and after["signals"] == []
