"""Set up a tenant's directory over HTTP, as an administrator would."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.factories import household, uid


@dataclass
class Tenant:
    client: httpx.Client
    mint: Any
    code: str
    team_id: str
    orgs: dict[str, str] = field(default_factory=dict)
    pros: dict[str, list[str]] = field(default_factory=dict)

    def headers(self, professional_id: str, *roles: str) -> dict[str, str]:
        org = next(o for o, ps in self.pros.items() if professional_id in ps)
        token = self.mint(professional_id, org, *(roles or ("professional",)), tenants=(self.code,))
        return {"Authorization": f"Bearer {token}"}

    def pro(self, kind: str, n: int = 0) -> str:
        return self.pros[self.orgs[kind]][n]

    def open_plan(self, professional_id: str, **extra: Any) -> dict[str, Any]:
        body = {
            "tenant": self.code,
            "team_id": self.team_id,
            "legal_basis": "wmo2015",
            "household": household(),
            "reason": "zorgen",
            **extra,
        }
        response = self.client.post("/plans", json=body, headers=self.headers(professional_id))
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def command(
        self, professional_id: str, plan_id: str, /, *, roles: tuple[str, ...] = (), **body: Any
    ) -> httpx.Response:
        return self.client.post(
            f"/plans/{plan_id}/commands", json=body, headers=self.headers(professional_id, *roles)
        )

    def join(self, by: str, plan_id: str, professional_id: str, role: str = "support") -> None:
        """Put a professional on the care team; one of another organisation accepts the proposal."""
        asked = self.command(by, plan_id, type="join_care_team", professional_id=professional_id, role=role)
        assert asked.status_code == 200, asked.text
        if asked.json()["events"][0]["type"] == "CareTeamProposed":
            proposal = f"careteam-{professional_id}"
            accepted = self.command(professional_id, plan_id, type="accept_proposal", proposal_id=proposal)
            assert accepted.status_code == 200, accepted.text


def admin_headers(mint: Any, code: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint('admin-1', 'gemeente', 'admin', tenants=(code,))}"}


def setup_tenant(
    client: httpx.Client,
    mint: Any,
    code: str = "GM0687",
    kinds: tuple[str, ...] = ("welfare", "police", "housing"),
) -> Tenant:
    admin = admin_headers(mint, code)
    team_id = uid("team")
    response = client.post(
        "/teams", json={"id": team_id, "name": "Team", "tenant": code, "areas": []}, headers=admin
    )
    assert response.status_code == 201, response.text
    tenant = Tenant(client, mint, code, team_id)
    for kind in kinds:
        org_id = uid(kind)
        body = {"id": org_id, "name": kind, "kind": kind, "tenants": [code]}
        assert client.post("/organisations", json=body, headers=admin).status_code == 201
        tenant.orgs[kind], tenant.pros[org_id] = org_id, []
        for _ in range(2):
            pro_id = uid("pro")
            body = {"id": pro_id, "name": "Pro", "team_ids": [team_id], "capacity": 8}
            response = client.post(f"/organisations/{org_id}/professionals", json=body, headers=admin)
            assert response.status_code == 201, response.text
            tenant.pros[org_id].append(pro_id)
    return tenant
