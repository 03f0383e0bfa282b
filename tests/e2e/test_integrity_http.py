"""Integrity over HTTP: a note edited in the database is an alarm for everyone, never shown.

The world is written through one server; then someone with write access to the database
changes a stored note (and rewrites the hash chain to match), and a second server, with
nothing cached, serves the reads: a problem+json `record-integrity` for the police and the
regisseur alike, a located break for the auditor, and a count on /metrics.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx

from eenplan.api.settings import Settings
from tests.e2e.conftest import Server, TokenFactory
from tests.e2e.privacy_world import HttpWorld, open_plan, setup
from tests.e2e.test_audit import eenplan
from tests.integration.tamper import RawStore

NOTE = "Opname in de GGZ-kliniek gepland"


def with_health_note(client: httpx.Client, token: TokenFactory) -> tuple[HttpWorld, str, int]:
    world = setup(client, token, "social_work", "police")
    plan_id = open_plan(world, "social_work")["plan_id"]
    world.command(
        "social_work", plan_id, type="join_care_team", professional_id=world.pros["police"], role="wijkagent"
    )
    # No police mandate: the officer is asked, and accepts.
    world.command("police", plan_id, type="accept_proposal", proposal_id=f"careteam-{world.pros['police']}")
    note = world.command("social_work", plan_id, type="add_note", category="health", text=NOTE)
    return world, plan_id, int(note.json()["version"])


def tampered(
    settings: Settings, plan_id: str, version: int, edit: Callable[[dict[str, Any]], None]
) -> Server:
    raw = RawStore(settings.database_url)
    raw.rewrite_event(plan_id, version, edit)
    raw.relink_chain()
    return Server(settings)


def auditor(world: HttpWorld) -> dict[str, str]:
    """The municipality's auditor: tokens must match the directory."""
    return world.auditor()


def test_a_health_note_moved_to_safety_in_the_database_is_refused_to_the_police_and_located_for_the_auditor(
    client: httpx.Client, token: TokenFactory, settings: Settings
) -> None:
    world, plan_id, version = with_health_note(client, token)
    police_before = client.get(f"/plans/{plan_id}", headers=world.auth("police")).json()
    assert NOTE not in str(police_before)

    second = tampered(settings, plan_id, version, lambda d: d.update(category="safety"))
    try:
        with httpx.Client(base_url=second.url, timeout=30) as other:
            for kind in ("police", "social_work"):
                for path in (f"/plans/{plan_id}", f"/plans/{plan_id}/history"):
                    answer = other.get(path, headers=world.auth(kind))
                    assert answer.status_code == 500, (kind, path, answer.text)
                    assert answer.headers["content-type"] == "application/problem+json"
                    assert answer.json()["type"].endswith("/record-integrity") and NOTE not in answer.text
            verdict = other.get("/audit/verify", params={"plan_id": plan_id}, headers=auditor(world)).json()
            assert verdict["status"] == "broken", verdict
            assert (verdict["broken"]["plan_id"], verdict["broken"]["version"]) == (plan_id, version)
            assert "integrity check at text" in verdict["broken"]["what"]
            assert other.get("/audit/verify", headers=auditor(world)).json()["broken"]["version"] == version
            metrics = other.get("/metrics").text
            assert "eenplan_privacy_integrity_failures" in metrics
    finally:
        second.stop()
    for args in (("verify", "--plan", plan_id), ("verify",)):
        cli = eenplan(settings, *args)
        assert cli.returncode == 1, cli.stderr
        broken = json.loads(cli.stdout)["broken"]
        assert broken["version"] == version and "integrity check at text" in broken["what"]


def test_a_changed_ciphertext_reads_as_an_integrity_error_not_as_erased(
    client: httpx.Client, token: TokenFactory, settings: Settings
) -> None:
    world, plan_id, version = with_health_note(client, token)

    def flip(data: dict[str, Any]) -> None:
        sealed = bytearray(base64.b64decode(data["text"]["c"]))
        sealed[3] ^= 0x10
        data["text"]["c"] = base64.b64encode(bytes(sealed)).decode()

    second = tampered(settings, plan_id, version, flip)
    try:
        with httpx.Client(base_url=second.url, timeout=30) as other:
            answer = other.get(f"/plans/{plan_id}", headers=world.auth("social_work"))
            assert answer.status_code == 500 and answer.json()["type"].endswith("/record-integrity")
            assert "[erased]" not in answer.text
    finally:
        second.stop()


def test_verification_over_http_checks_against_a_published_anchor(
    client: httpx.Client, token: TokenFactory
) -> None:
    world, plan_id, _version = with_health_note(client, token)
    head = client.get("/audit/verify", headers=auditor(world)).json()["head"]
    anchor = f"{head['position']}:{head['hash']}"

    for params in ({"against": anchor}, {"against": anchor, "plan_id": plan_id}):
        assert client.get("/audit/verify", params=params, headers=auditor(world)).json()["status"] == "intact"
    forged = f"{head['position']}:{'0' * 64}"
    verdict = client.get("/audit/verify", params={"against": forged}, headers=auditor(world)).json()
    assert verdict["status"] == "broken" and "differs from the anchor" in verdict["broken"]["what"]
    malformed = client.get("/audit/verify", params={"against": "yesterday"}, headers=auditor(world))
    assert malformed.status_code == 422 and malformed.json()["errors"][0]["loc"] == ["query", "against"]
