"""A seeded world for the partner-integration e2e tests: directory in the store, tokens, a plan."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from eenplan.api.bootstrap import build_application
from eenplan.api.settings import Settings
from tests.factories import World, household, make_world


def seed(settings: Settings) -> World:
    """A team, three organisations with two professionals each, written straight to the store."""
    app = build_application(settings)
    try:
        return make_world(app)
    finally:
        app.close()


def open_body(world: World, **extra: Any) -> dict[str, Any]:
    return {
        "tenant": world.tenant,
        "team_id": world.team_id,
        "legal_basis": "wmo2015",
        "household": household("Alex", "Sam"),
        "reason": "schulden en opvoeding",
        **extra,
    }


def auth(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


def open_plan(client: httpx.Client, world: World, token: str) -> str:
    response = client.post("/plans", json=open_body(world), headers=auth(token))
    assert response.status_code == 201, response.text
    plan_id: str = response.json()["plan_id"]
    return plan_id


def police_system_on_plan(
    client: httpx.Client, world: World, token: Callable[..., str]
) -> tuple[str, str, str, str]:
    """A plan with a welfare regisseur; a police partner system whose professional is on the care team."""
    welfare, police = world.orgs["welfare"], world.orgs["police"]
    regisseur, officer = world.pros[welfare][0], world.pros[police][0]
    bearer = token(regisseur, welfare)
    plan_id = open_plan(client, world, bearer)
    joined = client.post(
        f"/plans/{plan_id}/commands",
        json={"type": "join_care_team", "professional_id": officer, "role": "wijkagent"},
        headers=auth(bearer),
    )
    assert joined.status_code == 200, joined.text
    accept = {"type": "accept_proposal", "proposal_id": f"careteam-{officer}"}  # no police mandate: asked
    accepted = client.post(f"/plans/{plan_id}/commands", json=accept, headers=auth(token(officer, police)))
    assert accepted.status_code == 200, accepted.text
    return plan_id, officer, police, token(world.systems[police], police, "partner_system")


def cloudevent(
    plan_id: str, type_: str, data: dict[str, Any], id_: str = "e-1", **extra: Any
) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": id_,
        "source": "urn:politie:bvh",
        "type": type_,
        "subject": plan_id,
        "datacontenttype": "application/json",
        "data": data,
        **extra,
    }
