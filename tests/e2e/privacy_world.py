"""HTTP set-up for the privacy e2e tests: a tenant, a team, organisations of given kinds, one plan."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.e2e.conftest import TokenFactory
from tests.e2e.directory_setup import municipality, register_municipality, register_people


@dataclass
class HttpWorld:
    client: httpx.Client
    token: TokenFactory
    team_id: str = ""
    orgs: dict[str, str] = field(default_factory=dict)  # kind -> organisation id
    pros: dict[str, str] = field(default_factory=dict)  # kind -> professional id
    officer_id: str = ""
    auditor_id: str = ""

    def auth(self, kind: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(self.pros[kind], self.orgs[kind])}"}

    def officer(self, *roles: str) -> dict[str, str]:
        """The municipality's privacy officer (or, with `roles`, someone there in those roles)."""
        bearer = self.token(self.officer_id, municipality("GM0687"), *(roles or ("privacy_officer",)))
        return {"Authorization": f"Bearer {bearer}"}

    def auditor(self) -> dict[str, str]:
        """An auditor of the municipality."""
        return {"Authorization": f"Bearer {self.token(self.auditor_id, municipality('GM0687'), 'auditor')}"}

    def command(self, kind: str, plan_id: str, **body: Any) -> httpx.Response:
        response = self.client.post(f"/plans/{plan_id}/commands", json=body, headers=self.auth(kind))
        assert response.status_code == 200, response.text
        return response


def setup(client: httpx.Client, token: TokenFactory, *kinds: str) -> HttpWorld:
    admin = register_municipality(client, token, "GM0687")
    world = HttpWorld(client, token, team_id=f"team-{uuid.uuid4().hex[:8]}")
    world.officer_id, world.auditor_id = f"po-{uuid.uuid4().hex[:6]}", f"aud-{uuid.uuid4().hex[:6]}"
    register_people(client, admin, municipality("GM0687"), world.officer_id, world.auditor_id)
    post = client.post(
        "/teams", json={"id": world.team_id, "name": "Gebiedsteam", "tenant": "GM0687"}, headers=admin
    )
    assert post.status_code in (200, 201), post.text
    for kind in kinds:
        org, pro = f"{kind}-{uuid.uuid4().hex[:6]}", f"pro-{kind}-{uuid.uuid4().hex[:6]}"
        body = {"id": org, "name": kind, "kind": kind, "tenants": ["GM0687"]}
        assert client.post("/organisations", json=body, headers=admin).status_code in (200, 201)
        body = {"id": pro, "name": "Pro", "team_ids": [world.team_id], "capacity": 10}
        assert client.post(f"/organisations/{org}/professionals", json=body, headers=admin).status_code in (
            200,
            201,
        )
        world.orgs[kind], world.pros[kind] = org, pro
    return world


def open_plan(world: HttpWorld, kind: str, **extra: Any) -> dict[str, Any]:
    body = {
        "tenant": "GM0687",
        "team_id": world.team_id,
        "legal_basis": "wmo2015",
        "household": {
            "members": [
                {"given_name": "Ann", "family_name": "Jansen", "birth_date": "1984-02-02", "role": "parent"}
            ],
            "address": {
                "street": "Lange Delft",
                "house_number": "3",
                "postal_code": "4331 AB",
                "city": "Middelburg",
            },
        },
        "reason": "schulden en zorgen",
        **extra,
    }
    response = world.client.post("/plans", json=body, headers=world.auth(kind))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result
