"""Token claims must match the directory, over HTTP: who the token says, for which organisation and tenants.

A signed token is refused (401, naming the claim) when its `sub` is not a current professional
or partner system of its `org`, or its `org` does not serve its tenants; the refusal reads the
same for an unknown id and another tenant's. Oversight stays within the organisation's kind.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from eenplan.api.bootstrap import build_application
from eenplan.api.settings import Settings
from eenplan.domain.directory import ProfessionalLeaves
from tests.e2e.conftest import Server, TokenFactory
from tests.e2e.directory_setup import admin_headers, setup_tenant
from tests.e2e.partner_world import seed
from tests.e2e.privacy_world import HttpWorld, open_plan, setup
from tests.factories import ctx_for, uid

# Makes its own ids and counts only what it made: the run's shared store and server will do.
pytestmark = pytest.mark.shared_store

CLAIMS = "https://eenplan.nl/problems/token-claims-unmatched"


def bearer(token: TokenFactory, sub: str, org: str, *roles: str, **kw: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(sub, org, *roles, **kw)}"}


def refused(response: httpx.Response, claim: str) -> str:
    """Assert a 401 naming `claim`; returns its detail."""
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    body = response.json()
    assert (body["type"], body["claim"]) == (CLAIMS, claim), body
    detail: str = body["detail"]
    return detail


def plan_with_health_note(world: HttpWorld) -> str:
    plan_id: str = open_plan(world, "social_work")["plan_id"]
    for category, text in (("health", "GGZ-diagnose"), ("safety", "veiligheidsplan"), ("justice", "pv")):
        world.command("social_work", plan_id, type="add_note", category=category, text=text)
    return plan_id


def test_a_token_naming_another_organisation_than_the_professionals_gets_no_view(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "social_work", "police")
    plan_id = plan_with_health_note(world)
    police_regisseur = bearer(shared_token, world.pros["social_work"], world.orgs["police"])
    detail = refused(shared_client.get(f"/plans/{plan_id}", headers=police_regisseur), "sub")
    assert detail == f"{world.pros['social_work']} is not a current professional or partner system of " + (
        f"organisation {world.orgs['police']}"
    )
    # The professional's own organisation still works: the refusal is the claim, not the person.
    assert shared_client.get(f"/plans/{plan_id}", headers=world.auth("social_work")).status_code == 200


def test_an_unknown_sub_and_another_tenants_professional_are_refused_alike(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "welfare")
    other = setup_tenant(shared_client, shared_token, "GM0363", kinds=("welfare",))
    org = world.orgs["welfare"]
    unknown = refused(shared_client.get("/teams", headers=bearer(shared_token, "nobody-here", org)), "sub")
    foreign = refused(
        shared_client.get("/teams", headers=bearer(shared_token, other.pro("welfare"), org)), "sub"
    )
    assert unknown.replace("nobody-here", "ID") == foreign.replace(other.pro("welfare"), "ID")


def test_an_organisation_that_does_not_serve_the_tenant_is_refused_like_an_unknown_one(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "welfare")
    other = setup_tenant(shared_client, shared_token, "GM0363", kinds=("welfare",))
    pro, org = world.pros["welfare"], world.orgs["welfare"]
    wrong_tenant = refused(
        shared_client.get("/teams", headers=bearer(shared_token, pro, org, tenants=("GM0363",))), "org"
    )
    assert wrong_tenant == f"organisation {org} is not registered for tenant GM0363"
    foreign_org = other.orgs["welfare"]
    foreign = refused(
        shared_client.get("/teams", headers=bearer(shared_token, other.pro("welfare"), foreign_org)), "org"
    )
    unknown = refused(shared_client.get("/teams", headers=bearer(shared_token, pro, "no-such-org")), "org")
    assert foreign.replace(foreign_org, "ORG") == unknown.replace("no-such-org", "ORG")
    # One tenant of several is enough to refuse: the organisation must serve them all.
    both = bearer(shared_token, pro, org, tenants=("GM0687", "GM0363"))
    assert refused(shared_client.get("/teams", headers=both), "org").endswith("tenant GM0363")


def test_partner_systems_and_professionals_carry_their_own_roles_only(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "police")
    org, officer = world.orgs["police"], world.pros["police"]
    admin = admin_headers(shared_token, "GM0687")
    koppeling = uid("bvh-koppeling")
    body = {"id": koppeling, "name": "BVH"}
    assert shared_client.post(f"/organisations/{org}/systems", json=body, headers=admin).status_code == 201
    system = bearer(shared_token, koppeling, org, "partner_system")
    assert shared_client.get("/teams", headers=system).status_code == 200
    refused(
        shared_client.get("/teams", headers=bearer(shared_token, koppeling, org, "professional")), "roles"
    )
    refused(
        shared_client.get("/teams", headers=bearer(shared_token, officer, org, "partner_system")), "roles"
    )
    # A professional id is not free for a system, nor the other way round.
    taken = shared_client.post(
        f"/organisations/{org}/systems", json={"id": officer, "name": "x"}, headers=admin
    )
    assert taken.status_code == 409
    retire = {"type": "retire", "reason": "koppeling vervangen"}
    retired = shared_client.post(f"/systems/{koppeling}/commands", json=retire, headers=admin)
    assert retired.status_code == 200 and retired.json()["active"] is False
    refused(shared_client.get("/teams", headers=system), "sub")


def test_a_professional_who_moves_or_leaves_stops_matching_and_leaves_the_old_plans_behind(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "social_work", "police")
    plan_id = plan_with_health_note(world)
    pro, old, new = world.pros["social_work"], world.orgs["social_work"], world.orgs["police"]
    admin = admin_headers(shared_token, "GM0687")
    moved = shared_client.post(
        f"/professionals/{pro}/commands", json={"type": "move", "organisation_id": new}, headers=admin
    )
    assert moved.status_code == 200 and moved.json()["organisation_id"] == new, moved.text
    # The same server recorded the move: its cache knows at once.
    refused(shared_client.get(f"/plans/{plan_id}", headers=bearer(shared_token, pro, old)), "sub")
    now = bearer(shared_token, pro, new)
    # Regisseur for social work, not for the police: the plan is not theirs to see any more.
    missing = shared_client.get("/plans/00000000-0000-4000-8000-000000000000", headers=now)
    unseen = shared_client.get(f"/plans/{plan_id}", headers=now)
    assert unseen.status_code == missing.status_code == 404
    left = shared_client.post(
        f"/professionals/{pro}/commands", json={"type": "leave", "reason": "weg"}, headers=admin
    )
    assert left.status_code == 200 and left.json()["active"] is False
    refused(shared_client.get("/teams", headers=now), "sub")
    again = shared_client.post(
        f"/professionals/{pro}/commands", json={"type": "leave", "reason": "x"}, headers=admin
    )
    assert again.status_code == 409


def test_an_empty_tenant_is_filled_by_an_administrator_whose_organisation_then_must_be_its_own(
    client: httpx.Client, token: TokenFactory
) -> None:
    world = setup(client, token, "welfare")
    boss = bearer(token, "boss", "gemeente-vlissingen", "admin", tenants=("GM0718",))
    assert client.get("/teams", headers=boss).status_code == 200  # nothing registered for GM0718 yet
    org = {"id": "gemeente-vlissingen", "name": "Vlissingen", "kind": "municipality", "tenants": ["GM0718"]}
    assert client.post("/organisations", json=org, headers=boss).status_code == 201
    assert client.get("/teams", headers=boss).status_code == 200  # its own organisation now
    stranger = bearer(token, "boss", "elders", "admin", tenants=("GM0718",))
    assert refused(client.get("/teams", headers=stranger), "org").endswith("tenant GM0718")
    # An administrator need not be in the directory, but may not borrow someone else's id.
    borrowed = bearer(token, world.pros["welfare"], "gemeente-vlissingen", "admin", tenants=("GM0718",))
    refused(client.get("/teams", headers=borrowed), "sub")
    # Only an administrator token is taken before the tenant has organisations.
    early = bearer(token, "boss", "somewhere", "auditor", tenants=("GM0999",))
    refused(client.get("/teams", headers=early), "org")


def test_a_police_auditor_and_team_lead_never_see_health_data(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "social_work", "police")
    plan_id = plan_with_health_note(world)
    police, officer = world.orgs["police"], world.pros["police"]
    for role in ("auditor", "team_lead"):
        headers = bearer(shared_token, officer, police, role)
        view = shared_client.get(f"/plans/{plan_id}", headers=headers)
        assert view.status_code == 200, view.text
        assert "health" not in {n["category"] for n in view.json().get("notes", [])}
        history = shared_client.get(f"/plans/{plan_id}/history", headers=headers)
        assert history.status_code == 200 and "GGZ-diagnose" not in history.text
    auditor = bearer(shared_token, officer, police, "auditor")
    # Not through another organisation's eyes either: social work (the regisseur's) saw the health note.
    seen = shared_client.get(
        f"/plans/{plan_id}", params={"as_seen_by": world.orgs["social_work"]}, headers=auditor
    )
    assert seen.status_code == 200 and "GGZ-diagnose" not in seen.text
    # The municipality's auditor oversees health too, per the policy's ceiling for its kind.
    assert "GGZ-diagnose" in shared_client.get(f"/plans/{plan_id}", headers=world.auditor()).text


def test_a_departure_recorded_by_another_process_stops_matching_within_the_cache_time(
    settings: Settings, token: TokenFactory
) -> None:
    world = seed(settings)
    server = Server(settings, extra_env={"EENPLAN_DIRECTORY_CACHE_SECONDS": "1"})
    try:
        org = world.orgs["welfare"]
        pro = world.pros[org][0]
        headers = bearer(token, pro, org)
        with httpx.Client(base_url=server.url, timeout=30) as http:
            assert http.get("/teams", headers=headers).status_code == 200  # now in the server's cache
            app = build_application(settings)  # another process's write, as an admin worker would
            try:
                admin = ctx_for("admin", world.municipality, "admin", tenants=(world.tenant,))
                app.directory.change_professional(
                    admin, pro, ProfessionalLeaves(type="leave", reason="vertrokken")
                )
            finally:
                app.close()
            time.sleep(1.5)
            refused(http.get("/teams", headers=headers), "sub")
    finally:
        server.stop()
