"""Audit over HTTP and on the command line, against a real server and store."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from eenplan.api.bootstrap import build_application
from eenplan.api.settings import Settings
from tests.e2e.conftest import EENPLAN, TokenFactory
from tests.e2e.directory_setup import municipality, register_municipality, register_people
from tests.factories import World, make_world, uid
from tests.integration.tamper import RawStore


def plan_with_notes(settings: Settings) -> Iterator[World]:
    """A plan with a few notes, written to the store before the server reads it."""
    app = build_application(settings)
    world = make_world(app)
    regisseur = world.pros[world.orgs["welfare"]][0]
    world.plan_id = world.open(regisseur).plan_id  # type: ignore[attr-defined]
    for n in range(3):
        world.run(regisseur, world.plan_id, type="add_note", category="general", text=f"n{n}")  # type: ignore[attr-defined]
    yield world
    app.close()


@pytest.fixture
def world(settings: Settings) -> Iterator[World]:
    """In a store of its own: for the tests that tamper with the store."""
    yield from plan_with_notes(settings)


@pytest.fixture
def shared_world(shared_settings: Settings) -> Iterator[World]:
    """In the store of `shared_server`: for the tests that only read."""
    yield from plan_with_notes(shared_settings)


def auditor_headers(token: TokenFactory, world: World) -> dict[str, str]:
    bearer = token(world.auditor, world.municipality, "auditor", tenants=(world.tenant,))
    return {"Authorization": f"Bearer {bearer}"}


def test_an_auditor_verifies_the_chain_and_a_professional_may_not(
    shared_world: World, shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    plan_id = shared_world.plan_id  # type: ignore[attr-defined]
    whole = shared_client.get("/audit/verify", headers=auditor_headers(shared_token, shared_world))
    one = shared_client.get(
        "/audit/verify", params={"plan_id": plan_id}, headers=auditor_headers(shared_token, shared_world)
    )
    assert whole.status_code == 200 and whole.json()["status"] == "intact" and whole.json()["checked"] > 6
    assert one.json()["status"] == "intact" and one.json()["checked"] == 6

    welfare = shared_world.orgs["welfare"]
    pro = {"Authorization": f"Bearer {shared_token(shared_world.pros[welfare][1], welfare, 'professional')}"}
    assert shared_client.get("/audit/verify", headers=pro).status_code == 403
    unknown = shared_client.get(
        "/audit/verify", params={"plan_id": "nope"}, headers=auditor_headers(shared_token, shared_world)
    )
    assert unknown.status_code == 404
    inspector = uid("inspectie")
    admin = register_municipality(shared_client, shared_token, "GM0363")
    register_people(shared_client, admin, municipality("GM0363"), inspector)
    other = shared_token(inspector, municipality("GM0363"), "auditor", tenants=("GM0363",))
    elsewhere = {"Authorization": f"Bearer {other}"}
    hidden = shared_client.get("/audit/verify", params={"plan_id": plan_id}, headers=elsewhere)
    assert hidden.status_code == 404


def test_a_tampered_record_is_reported_over_http(
    world: World, client: httpx.Client, token: TokenFactory, settings: Settings
) -> None:
    plan_id = world.plan_id  # type: ignore[attr-defined]
    RawStore(settings.database_url).flip_one_byte(plan_id, 4)
    answer = client.get(
        "/audit/verify", params={"plan_id": plan_id}, headers=auditor_headers(token, world)
    ).json()
    assert answer["status"] == "broken"
    assert (answer["broken"]["plan_id"], answer["broken"]["version"]) == (plan_id, 4)


def test_time_travel_and_as_seen_by_over_http(
    shared_world: World, shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    plan_id = shared_world.plan_id  # type: ignore[attr-defined]
    headers = auditor_headers(shared_token, shared_world)
    first = next(iter(shared_world.app.repository.event_store.get(UUID(plan_id))))

    assert (
        shared_client.get(f"/plans/{plan_id}", params={"version": 2}, headers=headers).json()["version"] == 2
    )
    before = (first.timestamp - timedelta(seconds=1)).isoformat()
    assert (
        shared_client.get(f"/plans/{plan_id}", params={"as_of": before}, headers=headers).status_code == 404
    )
    at_first = shared_client.get(
        f"/plans/{plan_id}/history", params={"as_of": first.timestamp.isoformat()}, headers=headers
    )
    assert [e["version"] for e in at_first.json()["events"]] == [1]

    seen = shared_client.get(
        f"/plans/{plan_id}", params={"as_seen_by": shared_world.orgs["welfare"]}, headers=headers
    )
    assert seen.status_code == 200 and seen.json()["relation"] == "regisseur"
    police = shared_client.get(
        f"/plans/{plan_id}/history", params={"as_seen_by": shared_world.orgs["police"]}, headers=headers
    )
    assert police.status_code == 404
    regisseur = shared_world.pros[shared_world.orgs["welfare"]][0]
    own = {"Authorization": f"Bearer {shared_token(regisseur, shared_world.orgs['welfare'])}"}
    assert shared_client.get(f"/plans/{plan_id}", params={"as_seen_by": "x"}, headers=own).status_code == 403


def test_history_shows_who_did_what(
    shared_world: World, shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    plan_id = shared_world.plan_id  # type: ignore[attr-defined]
    events = shared_client.get(
        f"/plans/{plan_id}/history", headers=auditor_headers(shared_token, shared_world)
    ).json()["events"]
    actor = events[-1]["actor"]
    assert actor["professional_id"] == shared_world.pros[shared_world.orgs["welfare"]][0]
    assert actor["organisation_id"] == shared_world.orgs["welfare"]
    assert actor["command_id"] and actor["trace_id"] and actor["partner_system"] is None


def eenplan(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "EENPLAN_DATABASE_URL": settings.database_url,
        "EENPLAN_DATA_DIR": str(settings.data_dir),
    }
    return subprocess.run([str(EENPLAN), "audit", *args], env=env, capture_output=True, text=True, timeout=60)


def test_the_cli_verifies_anchors_exports_and_checks_an_export_offline(
    world: World, settings: Settings, tmp_path: Path
) -> None:
    plan_id = world.plan_id  # type: ignore[attr-defined]
    head = eenplan(settings, "anchor").stdout.strip()
    verified = eenplan(settings, "verify", "--against", head)
    assert verified.returncode == 0 and json.loads(verified.stdout)["status"] == "intact"

    out = tmp_path / "export.json"
    assert eenplan(settings, "export", "--plan", plan_id, "--out", str(out)).returncode == 0
    document = json.loads(out.read_text())
    assert [r["version"] for r in document["records"]] == [1, 2, 3, 4, 5, 6]
    assert document["processing_log"] == [] and "policy_version" in document
    assert eenplan(settings, "verify-export", str(out)).returncode == 0

    document["records"][3]["topic"] = "eenplan.domain.plan.events:GoalSet"
    out.write_text(json.dumps(document))
    rejected = eenplan(settings, "verify-export", str(out))
    assert rejected.returncode == 1 and json.loads(rejected.stdout)["broken"]["version"] == 4


def test_the_cli_names_a_broken_record_and_exits_non_zero(world: World, settings: Settings) -> None:
    plan_id = world.plan_id  # type: ignore[attr-defined]
    RawStore(settings.database_url).delete_event(plan_id, 2)
    answer = eenplan(settings, "verify", "--plan", plan_id)
    assert answer.returncode == 1
    assert json.loads(answer.stdout)["broken"]["version"] == 2
