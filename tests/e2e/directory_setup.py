"""Set up a tenant's directory over HTTP, as an administrator would.

Tokens must match the directory, so the administrator first registers their own organisation,
the municipality (`gemeente-<tenant>`): while a tenant has no organisation, an admin token for it
is taken as it is; after that, its `org` must be one of the tenant's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from eenplan.api.bootstrap import build_application
from eenplan.api.settings import Settings
from eenplan.domain.directory import RegisterOrganisation, RegisterProfessional
from eenplan.domain.values import OrganisationKind
from tests.factories import ctx_for, household, uid


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


def municipality(code: str) -> str:
    return f"gemeente-{code}"


def admin_headers(mint: Any, code: str) -> dict[str, str]:
    """An administrator of the tenant's municipality, which is registered first if need be."""
    return {"Authorization": f"Bearer {mint('admin-1', municipality(code), 'admin', tenants=(code,))}"}


def register_in_store(
    settings: Settings, org: str, *professionals: str, tenant: str = "GM0687", also: tuple[str, ...] = ()
) -> None:
    """An organisation and its professionals, written to the store before a server starts.

    `also`: further tenants the organisation serves (municipalities that work together)."""
    app = build_application(settings)
    try:
        tenants = [tenant, *also]
        admin = ctx_for("admin", org, "admin", tenants=tuple(tenants))
        kind = OrganisationKind.MUNICIPALITY
        app.directory.register_organisation(
            admin, RegisterOrganisation(id=org, name=org, kind=kind, tenants=tenants)
        )
        for person in professionals:
            app.directory.register_professional(
                admin, org, RegisterProfessional(id=person, name="Medewerker")
            )
    finally:
        app.close()


def register_municipality(client: httpx.Client, mint: Any, code: str) -> dict[str, str]:
    """The administrator's own organisation, registered once per tenant; their headers."""
    admin = admin_headers(mint, code)
    body = {"id": municipality(code), "name": "Gemeente", "kind": "municipality", "tenants": [code]}
    response = client.post("/organisations", json=body, headers=admin)
    assert response.status_code in (201, 409), response.text
    return admin


def register_people(client: httpx.Client, admin: dict[str, str], org_id: str, *ids: str) -> None:
    """Professionals of an organisation in no team: auditors, privacy officers, team leads."""
    for person in ids:
        body = {"id": person, "name": "Medewerker"}
        response = client.post(f"/organisations/{org_id}/professionals", json=body, headers=admin)
        assert response.status_code == 201, response.text


def setup_tenant(
    client: httpx.Client,
    mint: Any,
    code: str = "GM0687",
    kinds: tuple[str, ...] = ("welfare", "police", "housing"),
) -> Tenant:
    admin = register_municipality(client, mint, code)
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
