"""Who may change what, over HTTP: the walks around the read filter that issue 12 found, refused."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.e2e.conftest import TokenFactory
from tests.e2e.directory_setup import register_municipality
from tests.e2e.privacy_world import HttpWorld, open_plan, setup
from tests.e2e.test_privacy_views import _join
from tests.factories import uid


def _post(world: HttpWorld, kind: str, plan_id: str, **body: Any) -> httpx.Response:
    return world.client.post(f"/plans/{plan_id}/commands", json=body, headers=world.auth(kind))


def _version(world: HttpWorld, plan_id: str) -> int:
    return int(world.client.get(f"/plans/{plan_id}", headers=world.auth("social_work")).json()["version"])


def _plan(world: HttpWorld) -> tuple[str, str]:
    opened = open_plan(world, "social_work")
    plan_id, member_id = opened["plan_id"], opened["member_ids"][0]
    world.command("social_work", plan_id, type="add_note", category="finance", text="huurachterstand")
    _join(world, plan_id, "police")
    return plan_id, member_id


def test_the_police_cannot_consent_on_the_households_behalf_to_see_more(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "social_work", "police", "mental_health")
    plan_id, member_id = _plan(world)
    consent = {"type": "record_consent", "categories": ["finance"], "purpose": "plan_coordination"}
    before = _version(world, plan_id)
    own = _post(world, "police", plan_id, organisation_id=world.orgs["police"], given_by=member_id, **consent)
    assert own.status_code == 403, own.text
    assert own.headers["content-type"] == "application/problem+json"
    assert own.json()["rule"] == {
        "command": "record_consent",
        "allowed": ["regisseur", "team_lead"],
        "policy_version": "2026.2",
    }
    outsider = _post(
        world,
        "mental_health",
        plan_id,
        organisation_id=world.orgs["mental_health"],
        given_by=member_id,
        **consent,
    )
    assert outsider.status_code == 404, outsider.text
    assert _version(world, plan_id) == before
    view = shared_client.get(f"/plans/{plan_id}", headers=world.auth("police")).json()
    assert view["consents"] == [] and "huurachterstand" not in json.dumps(view)


def test_a_care_team_member_cannot_rearrange_the_plan(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "social_work", "police")
    plan_id, member_id = _plan(world)
    before = _version(world, plan_id)
    regisseur = world.pros["social_work"]
    address = {"street": "Markt", "house_number": "1", "postal_code": "4331 LK", "city": "Middelburg"}
    for body in (
        {"type": "remove_member", "member_id": member_id, "reason": "weg"},
        {"type": "change_address", "address": address},
        {"type": "correct_member", "member_id": member_id, "bsn": "123456782", "reason": "fout"},
        {"type": "leave_care_team", "professional_id": regisseur, "reason": "weg"},
        {"type": "assess_risk", "level": "high", "rationale": "zorgen"},
        {"type": "close_plan", "reason": "klaar"},
    ):
        refused = _post(world, "police", plan_id, **body)
        assert refused.status_code == 403, (body["type"], refused.text)
        assert refused.json()["type"].endswith("/write-not-allowed")
    assert _version(world, plan_id) == before


def test_the_regisseur_asks_another_organisations_worker_and_under_a_mandate_directs_them(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "social_work", "police", "mental_health")
    plan_id, _ = _plan(world)
    nurse = world.pros["mental_health"]
    asked = world.command("social_work", plan_id, type="join_care_team", professional_id=nurse, role="ggz")
    assert [e["type"] for e in asked.json()["events"]] == ["CareTeamProposed"]
    view = shared_client.get(f"/plans/{plan_id}", headers=world.auth("social_work")).json()
    assert nurse not in [m["professional_id"] for m in view["care_team"]]
    assert {"proposal_id": f"careteam-{nurse}", "status": "pending"}.items() <= view["proposals"][-1].items()

    chief = {
        "Authorization": f"Bearer {shared_token(world.pros['police'], world.orgs['police'], 'team_lead')}"
    }
    mandate = {"type": "grant_mandate", "organisation_id": world.orgs["police"], "scope": "all"}
    granted = shared_client.post(f"/plans/{plan_id}/commands", json=mandate, headers=chief)
    assert granted.status_code == 200, granted.text
    agreement = world.command(
        "social_work",
        plan_id,
        type="make_agreement",
        responsible={"organisation_id": world.orgs["police"]},
        action="huisbezoek",
        due_date="2030-01-01",
    )
    assert [e["type"] for e in agreement.json()["events"]] == ["AgreementMade"]


def test_cloudevents_meet_the_same_write_policy(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "social_work", "police")
    plan_id, member_id = _plan(world)
    admin = register_municipality(shared_client, shared_token, "GM0687")
    bvh = uid("politie-bvh")
    registered = shared_client.post(
        f"/organisations/{world.orgs['police']}/systems", json={"id": bvh, "name": "BVH"}, headers=admin
    )
    assert registered.status_code == 201, registered.text
    system = shared_token(bvh, world.orgs["police"], "partner_system")
    event = {
        "specversion": "1.0",
        "id": "c-1",
        "source": "urn:politie:bvh",
        "type": "nl.eenplan.consent.recorded",
        "subject": plan_id,
        "actingfor": world.pros["police"],
        "data": {
            "organisation_id": world.orgs["police"],
            "categories": ["finance"],
            "purpose": "plan_coordination",
            "given_by": member_id,
        },
    }
    note = {
        **event,
        "id": "c-2",
        "type": "nl.eenplan.note.added",
        "data": {"category": "justice", "text": "pv"},
    }
    answer = shared_client.post(
        "/events",
        content=json.dumps([event, note]),
        headers={"Authorization": f"Bearer {system}", "content-type": "application/cloudevents-batch+json"},
    )
    assert answer.status_code == 200, answer.text
    consent, noted = answer.json()["results"]
    assert consent["status"] == 403 and consent["body"]["rule"]["command"] == "record_consent"
    assert noted["status"] == 200  # what the officer may do, the system may do for them
