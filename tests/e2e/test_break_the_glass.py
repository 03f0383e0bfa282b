"""Break the glass over HTTP: who may, with what reason, in which tenant, how often, and what it opens."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.e2e.conftest import TokenFactory
from tests.e2e.directory_setup import municipality, register_municipality, register_people
from tests.e2e.privacy_world import HttpWorld, open_plan, setup

REASON = "Melding acuut gevaar: kind alleen thuis aangetroffen"
BSN = "111222333"


def glass(world: HttpWorld, plan_id: str, headers: dict[str, str], reason: str = REASON) -> httpx.Response:
    return world.client.post(f"/plans/{plan_id}/emergency-access", json={"reason": reason}, headers=headers)


def plan_with_health_data(world: HttpWorld) -> str:
    plan_id = str(open_plan(world, "social_work")["plan_id"])
    member = {"given_name": "Bo", "family_name": "Jansen", "birth_date": "2015-06-01", "role": "child"}
    world.command("social_work", plan_id, type="add_member", member={**member, "bsn": BSN})
    for category, text in (("safety", "veiligheidsplan"), ("health", "GGZ-diagnose")):
        world.command("social_work", plan_id, type="add_note", category=category, text=text)
    world.command("social_work", plan_id, type="set_goal", life_domain="mental_health", description="rust")
    return plan_id


def seen(world: HttpWorld, plan_id: str, kind: str) -> tuple[dict[str, Any], str]:
    view = world.client.get(f"/plans/{plan_id}", headers=world.auth(kind))
    history = world.client.get(f"/plans/{plan_id}/history", headers=world.auth(kind))
    assert view.status_code == history.status_code == 200, (view.text, history.text)
    return view.json(), history.text


def test_the_police_breaking_the_glass_never_sees_health_notes_or_bsns(
    client: httpx.Client, token: TokenFactory
) -> None:
    world = setup(client, token, "social_work", "police", "mental_health")
    plan_id = plan_with_health_data(world)
    granted = glass(world, plan_id, world.auth("police"))
    view, history = seen(world, plan_id, "police")
    assert glass(world, plan_id, world.auth("mental_health")).status_code == 200
    care_view, care_history = seen(world, plan_id, "mental_health")

    assert granted.status_code == 200, granted.text
    assert granted.json()["categories"] == ["general", "identity", "justice", "safety"]
    assert view["relation"] == "emergency" and {n["category"] for n in view["notes"]} == {"safety"}
    assert view["goals"] == [] and all("bsn" not in m for m in view["members"])
    assert "GGZ-diagnose" not in history and BSN not in history and "veiligheidsplan" in history
    # The same plan, broken into by mental-health care: what the police missed was there to see.
    assert "health" in {n["category"] for n in care_view["notes"]} and "GGZ-diagnose" in care_history
    assert BSN in {m.get("bsn") for m in care_view["members"]}


def test_kinds_and_roles_the_policy_leaves_out_get_a_403_naming_the_rule_for_any_plan(
    client: httpx.Client, token: TokenFactory
) -> None:
    world = setup(client, token, "social_work", "welfare")
    plan_id, unknown = plan_with_health_data(world), str(uuid.uuid4())
    welfare = [glass(world, p, world.auth("welfare")) for p in (plan_id, unknown)]
    auditor = {
        "Authorization": f"Bearer {token(world.pros['social_work'], world.orgs['social_work'], 'auditor')}"
    }
    by_role = [glass(world, p, auditor) for p in (plan_id, unknown)]
    stranger = {"Authorization": f"Bearer {token('pro-x', 'unregistered-org')}"}
    posing = {"Authorization": f"Bearer {token(world.pros['welfare'], world.orgs['social_work'])}"}
    unregistered = [glass(world, plan_id, headers) for headers in (stranger, posing)]

    assert [r.status_code for r in welfare + by_role] == [403] * 4
    # Callers the directory does not know never get that far: the token itself is refused.
    assert [r.status_code for r in unregistered] == [401, 401]
    # Whether the plan exists or not, the refusal is the same: it reveals nothing.
    assert welfare[0].json() == welfare[1].json() and by_role[0].json() == by_role[1].json()
    assert (
        welfare[0].json()["rule"] == "break_the_glass.kinds" and "kind welfare" in welfare[0].json()["detail"]
    )
    assert by_role[0].json()["rule"] == "break_the_glass.roles"
    assert [r.json()["claim"] for r in unregistered] == ["org", "sub"]
    assert client.get("/privacy/emergency-access", headers=world.officer()).json()["grants"] == []


def test_a_reason_that_says_nothing_is_refused_every_time_and_grants_nothing(
    client: httpx.Client, token: TokenFactory
) -> None:
    world = setup(client, token, "social_work", "police")
    plan_id = plan_with_health_data(world)
    refused = [glass(world, plan_id, world.auth("police"), "abc") for _ in range(6)]
    refused.append(glass(world, plan_id, world.auth("police"), "spoed spoed spoed spoed spoed"))

    assert {r.status_code for r in refused} == {422}
    problem = refused[0].json()
    assert problem["type"].endswith("/trivial-reason") and "at least 20 characters" in problem["detail"]
    assert client.get(f"/plans/{plan_id}", headers=world.auth("police")).status_code == 404
    assert client.get("/privacy/emergency-access", headers=world.officer()).json()["grants"] == []


def test_a_second_request_while_a_grant_is_open_gets_a_409_with_the_open_grant(
    client: httpx.Client, token: TokenFactory
) -> None:
    world = setup(client, token, "social_work", "police")
    plan_id = plan_with_health_data(world)
    first = glass(world, plan_id, world.auth("police"))
    second = glass(world, plan_id, world.auth("police"), "Nog een melding, nu van de buren gekregen")

    assert first.status_code == 200 and second.status_code == 409, second.text
    assert second.json()["grant_id"] == first.json()["grant_id"]
    assert second.json()["expires_at"] == first.json()["expires_at"]
    assert second.json()["type"].endswith("/emergency-access-open")
    grants = client.get("/privacy/emergency-access", headers=world.officer()).json()["grants"]
    assert [g["grant_id"] for g in grants] == [first.json()["grant_id"]] and grants[0]["reason"] == REASON


def test_a_plan_outside_the_callers_tenant_does_not_exist_for_breaking_the_glass(
    client: httpx.Client, token: TokenFactory
) -> None:
    world = setup(client, token, "social_work", "police")
    elsewhere = _plan_in_other_tenant(client, token, "GM0363")
    both = token(world.pros["police"], world.orgs["police"], tenants=("GM0687", "GM0363"))
    answers = [
        glass(world, elsewhere, world.auth("police")),  # the token does not serve GM0363
        glass(world, elsewhere, {"Authorization": f"Bearer {both}"}),  # the token does; the directory not
    ]
    nowhere = str(uuid.uuid4())
    unknown = glass(world, nowhere, world.auth("police"))

    # Answered as for a plan that does not exist at all; a token claiming a tenant the directory
    # does not give its organisation is refused before anything (401 naming the claim).
    assert [a.status_code for a in [*answers, unknown]] == [404, 401, 404]
    assert answers[0].json()["detail"] == f"plan {elsewhere} not found"
    assert answers[1].json()["claim"] == "org"
    assert unknown.json()["detail"] == f"plan {nowhere} not found"
    other_admin = register_municipality(client, token, "GM0363")
    register_people(client, other_admin, municipality("GM0363"), "po-2")
    other_officer = token("po-2", municipality("GM0363"), "privacy_officer", tenants=("GM0363",))
    officer = {"Authorization": f"Bearer {other_officer}"}
    assert client.get("/privacy/emergency-access", headers=officer).json()["grants"] == []


def _plan_in_other_tenant(client: httpx.Client, token: TokenFactory, tenant: str) -> str:
    admin = register_municipality(client, token, tenant)  # the tenant's first organisation
    team, org, pro = (f"{p}-{uuid.uuid4().hex[:6]}" for p in ("team", "sw", "pro"))
    for path, body in (
        ("/teams", {"id": team, "name": "Team", "tenant": tenant}),
        ("/organisations", {"id": org, "name": "sw", "kind": "social_work", "tenants": [tenant]}),
        (
            f"/organisations/{org}/professionals",
            {"id": pro, "name": "Pro", "team_ids": [team], "capacity": 5},
        ),
    ):
        assert client.post(path, json=body, headers=admin).status_code in (200, 201)
    world = HttpWorld(
        client, lambda *a, **k: token(*a, **{**k, "tenants": (tenant,)}), team, {"sw": org}, {"sw": pro}
    )
    body = {"tenant": tenant, "team_id": team, "legal_basis": "wmo2015", "reason": "zorgen"}
    member = {"given_name": "Cor", "family_name": "Smit", "birth_date": "1970-01-01", "role": "adult"}
    address = {"street": "Markt", "house_number": "1", "postal_code": "1011 AB", "city": "Amsterdam"}
    opened = client.post(
        "/plans",
        json={**body, "household": {"members": [member], "address": address}},
        headers=world.auth("sw"),
    )
    assert opened.status_code == 201, opened.text
    return str(opened.json()["plan_id"])
