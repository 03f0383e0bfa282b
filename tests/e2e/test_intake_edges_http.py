"""Intake over HTTP: the sociale kaart, simple answers and referrals, and bad input as problems."""

from __future__ import annotations

from typing import Any

import httpx

from eenplan.api.settings import Settings
from tests.e2e.conftest import TokenFactory
from tests.e2e.directory_setup import register_in_store
from tests.e2e.test_intake_http import TENANT, Admin, bearer
from tests.factories import household, uid

REQUEST = {
    "tenant": TENANT,
    "channel": "phone",
    "topics": ["participation"],
    "summary": "lonely since moving here",
    "contact": {"given_name": "Kim", "family_name": "Bakker", "email": "kim@example.nl"},
}


def test_a_request_is_referred_to_an_activity_of_the_sociale_kaart_or_answered_simply(
    client: httpx.Client, token: TokenFactory
) -> None:
    admin = Admin(client, token)
    team = admin.team("West")
    org = admin.organisation("welfare")
    pro = admin.professional(org, team, ["participation"], capacity=5)
    desk = bearer(token, pro, org)
    activity = {
        "id": "koffie-west",
        "name": "Koffie-ochtend",
        "provider": "Welzijn West",
        "topics": ["participation"],
        "location": "Buurthuis West",
        "times": "tuesdays 10:00-12:00",
    }
    assert admin.post("/activities", activity)["tenant"] == TENANT
    assert client.post("/activities", json=activity, headers=desk).status_code == 403
    listed = client.get("/activities", params={"topic": "participation"}, headers=desk).json()
    assert [a["id"] for a in listed] == ["koffie-west"]

    def triage(body: dict[str, Any], request_id: str) -> httpx.Response:
        return client.post(f"/help-requests/{request_id}/commands", json=body, headers=desk)

    first = client.post("/help-requests", json=REQUEST, headers=desk).json()["request_id"]
    assert triage({"type": "refer", "activity_id": "nope"}, first).status_code == 422
    referred = triage({"type": "refer", "activity_id": "koffie-west"}, first)
    assert referred.status_code == 200 and referred.json()["status"] == "referred"
    again = triage({"type": "resolve_simple", "what_was_done": "x"}, first)
    assert again.status_code == 409

    second = client.post("/help-requests", json={**REQUEST, "topics": ["mobility_aids"]}, headers=desk).json()
    done = triage({"type": "resolve_simple", "what_was_done": "wheelchair ordered"}, second["request_id"])
    assert done.json()["status"] == "resolved"

    third = client.post("/help-requests", json={**REQUEST, "topics": ["money"]}, headers=desk).json()
    plan = {"type": "open_plan", "tenant": TENANT, "team_id": team, "legal_basis": "wmo2015"}
    opened = triage({**plan, "household": household(), "reason": "debts"}, third["request_id"])
    assert opened.status_code == 200, opened.text
    plan_id = opened.json()["plan_id"]
    assert client.get(f"/plans/{plan_id}", headers=desk).json()["help_request_id"] == third["request_id"]
    referral = client.post("/activities/koffie-west/referrals", json={"plan_id": plan_id}, headers=desk)
    assert referral.status_code == 201 and referral.json()["referrals"] == 2
    unknown = client.post("/activities/nope/referrals", json={"plan_id": plan_id}, headers=desk)
    assert unknown.status_code == 404
    police = admin.organisation("police")
    outsider = bearer(token, admin.professional(police, team, [], capacity=0), police)
    hidden = client.post("/activities/koffie-west/referrals", json={"plan_id": plan_id}, headers=outsider)
    assert hidden.status_code == 404


def test_bad_input_gets_a_problem_that_says_what_was_wrong(
    shared_client: httpx.Client, shared_token: TokenFactory, shared_settings: Settings
) -> None:
    admin = Admin(shared_client, shared_token)
    org = admin.organisation("welfare")
    desk = bearer(shared_token, admin.professional(org, admin.team(), [], capacity=1), org)
    unknown_topic = shared_client.post(
        "/help-requests", json={**REQUEST, "topics": ["astrology"]}, headers=desk
    )
    assert unknown_topic.status_code == 422
    assert unknown_topic.headers["content-type"] == "application/problem+json"
    walk_in = shared_client.post("/help-requests", json={**REQUEST, "channel": "walk_in"}, headers=desk)
    assert walk_in.status_code == 422 and "location" in walk_in.text
    assert shared_client.get("/help-requests/not-a-uuid/candidates", headers=desk).status_code == 404
    missing = "/help-requests/00000000-0000-0000-0000-000000000000/commands"
    assert shared_client.post(missing, json={"type": "record_first_contact"}, headers=desk).status_code == 404
    other_tenant = shared_client.post("/help-requests", json={**REQUEST, "tenant": "GM0363"}, headers=desk)
    assert other_tenant.status_code == 403

    admin_headers = admin.headers
    unknown = {"merge": [{"into": "nowhere", "from": ["nothing"]}]}
    refused = shared_client.post("/teams/reorganisations", json=unknown, headers=admin_headers)
    assert refused.status_code == 409 and "unknown teams" in refused.json()["detail"]
    assert shared_client.post("/teams/reorganisations", json=unknown, headers=desk).status_code == 403

    # What only the caller can say is missing or contradictory: 422, not a 409 about the state.
    # An administrator of municipalities that work together: the shared store has organisations in
    # both tenants, so the token's organisation must serve both (registered here, in the store).
    regional = uid("gemeenten")
    register_in_store(shared_settings, regional, tenant=TENANT, also=("GM0363",))
    both = shared_token("admin-1", regional, "admin", tenants=(TENANT, "GM0363"))
    two_tenants = {"Authorization": f"Bearer {both}"}
    activity = {"id": "a1", "name": "n", "provider": "p", "topics": ["money"], "location": "l", "times": "t"}
    assert shared_client.post("/activities", json=activity, headers=two_tenants).status_code == 422
    assert (
        shared_client.post("/teams/reorganisations", json={"dry_run": True}, headers=two_tenants).status_code
        == 422
    )
    request_id = shared_client.post("/help-requests", json=REQUEST, headers=desk).json()["request_id"]
    plan = {"type": "open_plan", "tenant": "GM0363", "team_id": "t", "legal_basis": "wmo2015", "reason": "x"}
    elsewhere = shared_client.post(
        f"/help-requests/{request_id}/commands", json={**plan, "household": household()}, headers=desk
    )
    assert elsewhere.status_code == 422 and "tenant" in elsewhere.json()["detail"]
