"""A seeded world for the partner-integration e2e tests: directory in the store, tokens, a plan."""

from __future__ import annotations

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
