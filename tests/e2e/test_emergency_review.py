"""The review queue over HTTP: privacy officers decide, a rejection ends the access, overdue is counted."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest

from eenplan.api.settings import Settings
from tests import ldv
from tests.e2e.conftest import Server, TokenFactory
from tests.e2e.directory_setup import municipality, register_municipality, register_people
from tests.e2e.privacy_world import HttpWorld, open_plan, setup

REASON = "Melding acuut gevaar: kind alleen thuis aangetroffen"
APPROVE = {"decision": "approved", "reason": "Terecht: de melding rechtvaardigde inzage in het plan"}
REJECT = {"decision": "rejected", "reason": "Geen spoed: de melding ging over een ander gezin"}


def glass(world: HttpWorld, plan_id: str, kind: str) -> str:
    answer = world.client.post(
        f"/plans/{plan_id}/emergency-access", json={"reason": REASON}, headers=world.auth(kind)
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["grant_id"])


def review(world: HttpWorld, grant_id: str, body: dict[str, str], headers: dict[str, str]) -> httpx.Response:
    return world.client.post(f"/privacy/emergency-access/{grant_id}/review", json=body, headers=headers)


def queue(world: HttpWorld, **params: str) -> list[dict[str, object]]:
    answer = world.client.get("/privacy/emergency-access", params=params, headers=world.officer())
    assert answer.status_code == 200, answer.text
    return list(answer.json()["grants"])


def test_a_privacy_officer_approves_one_grant_and_rejects_another_which_ends_its_access_at_once(
    client: httpx.Client, token: TokenFactory
) -> None:
    world = setup(client, token, "social_work", "police", "youth_care")
    plan_id = open_plan(world, "social_work")["plan_id"]
    police, youth = glass(world, plan_id, "police"), glass(world, plan_id, "youth_care")
    approved = review(world, police, APPROVE, world.officer())
    assert client.get(f"/plans/{plan_id}", headers=world.auth("youth_care")).status_code == 200
    rejected = review(world, youth, REJECT, world.officer())
    after = [client.get(f"/plans/{plan_id}{p}", headers=world.auth("youth_care")) for p in ("", "/history")]
    again = review(world, youth, APPROVE, world.officer())

    assert (approved.status_code, rejected.status_code) == (200, 200), rejected.text
    assert rejected.json()["access_ends_at"] == rejected.json()["reviewed_at"]
    assert [a.status_code for a in after] == [404, 404]  # the extra visibility is gone, now
    assert client.get(f"/plans/{plan_id}", headers=world.auth("police")).status_code == 200
    assert again.status_code == 409 and again.json()["decision"] == "rejected"
    assert [g["grant_id"] for g in queue(world, review="rejected")] == [youth]
    assert [g["grant_id"] for g in queue(world, review="approved")] == [police]
    assert [g["review_status"] for g in queue(world, review="decided")] == ["rejected", "approved"]
    assert queue(world, review="open") == []
    decided = queue(world, organisation_id=world.orgs["youth_care"])[0]
    assert decided["active"] is False and decided["review"]["reason"] == REJECT["reason"]  # type: ignore[index]
    # A rejected grant is no longer open: the professional may ask again, and is reviewed again.
    assert glass(world, plan_id, "youth_care") != youth and len(queue(world, review="open")) == 1


def test_only_a_privacy_officer_of_the_tenant_reviews_and_each_review_is_in_the_processing_log(
    client: httpx.Client, token: TokenFactory
) -> None:
    world = setup(client, token, "social_work", "police")
    plan_id = open_plan(world, "social_work")["plan_id"]
    grant = glass(world, plan_id, "police")
    lead_token = token(world.pros["social_work"], world.orgs["social_work"], "team_lead", "auditor")
    lead = {"Authorization": f"Bearer {lead_token}"}
    other_admin = register_municipality(client, token, "GM0363")
    register_people(client, other_admin, municipality("GM0363"), "po-9")
    other_officer = token("po-9", municipality("GM0363"), "privacy_officer", tenants=("GM0363",))
    elsewhere = {"Authorization": f"Bearer {other_officer}"}
    refusals = [review(world, grant, APPROVE, h) for h in (world.auth("police"), lead, elsewhere)]
    listing = [client.get("/privacy/emergency-access", headers=h) for h in (world.auth("social_work"), lead)]
    keyed = {**world.officer(), "Idempotency-Key": "review-1"}
    first, repeat = review(world, grant, APPROVE, keyed), review(world, grant, APPROVE, keyed)
    changed = review(world, grant, REJECT, keyed)
    assert len(queue(world)) == 1  # reading the reasons is processing too
    log = client.get(f"/plans/{plan_id}/processing-log", headers=world.officer()).json()["entries"]

    assert [r.status_code for r in refusals] == [403, 403, 404]
    assert "privacy_officer" in refusals[0].json()["detail"]
    assert [r.status_code for r in listing] == [403, 403]
    assert first.status_code == 200 and repeat.content == first.content and changed.status_code == 422
    reviews = [e for e in log if ldv.activity(e) == "emergency_review"]
    assert {e["name"] for e in reviews} >= {"review_emergency_access:approved", "read_emergency_access_queue"}
    protocols = [
        e["attributes"]["dpl.nen7513.autorisatieProtocol"] for e in log if e["name"] == "break_the_glass"
    ]
    assert protocols == ["break_the_glass"]


@pytest.fixture
def hasty(settings: Settings) -> Iterator[httpx.Client]:
    """A server whose review term is about a second (0.00001 days), so grants go overdue in a test."""
    server = Server(settings, extra_env={"EENPLAN_EMERGENCY_REVIEW_DAYS": "0.00001"})
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            yield client
    finally:
        server.stop()


def overdue_gauge(client: httpx.Client) -> float | None:
    text = client.get("/metrics").text
    found = re.search(
        r'^eenplan_emergency_access_reviews_overdue\{[^}]*tenant="GM0687"[^}]*\} (\S+)$', text, re.M
    )
    return float(found.group(1)) if found else None


def test_grants_left_unreviewed_past_the_term_are_listed_as_overdue_and_counted_in_metrics(
    hasty: httpx.Client, token: TokenFactory
) -> None:
    world = setup(hasty, token, "social_work", "police")
    plan_id = open_plan(world, "social_work")["plan_id"]
    grant = glass(world, plan_id, "police")
    deadline = time.monotonic() + 20
    while not queue(world, review="overdue") and time.monotonic() < deadline:
        time.sleep(0.2)
    overdue = queue(world, review="overdue")
    counted = overdue_gauge(hasty)
    assert review(world, grant, APPROVE, world.officer()).status_code == 200

    assert [g["grant_id"] for g in overdue] == [grant] and overdue[0]["review_status"] == "overdue"
    assert counted == 1.0
    assert queue(world, review="overdue") == [] and overdue_gauge(hasty) == 0.0
    assert "eenplan_emergency_access_reviews_waiting" in hasty.get("/metrics").text
