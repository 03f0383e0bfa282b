"""A store for the console's browser tests, filled over HTTP: a tenant, a plan the police works on
with health data it may never see, a break-the-glass grant, an erasure, an auditor and an officer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.e2e.conftest import TokenFactory
from tests.e2e.directory_setup import Tenant, municipality, register_people, setup_tenant
from tests.factories import uid

GRANT_REASON = "acute zorgen over de veiligheid van de kinderen na een melding bij de wijkagent"


@dataclass
class ConsoleWorld:
    tenant: Tenant
    plan_id: str
    member_id: str
    family_name: str
    health_text: str
    safety_text: str
    grant_plan_id: str
    grant_id: str
    receipt_id: str
    auditor: str
    officer: str

    @property
    def org(self) -> str:
        return municipality(self.tenant.code)

    @property
    def police(self) -> str:
        return self.tenant.orgs["police"]

    def bearer(self, sub: str, role: str) -> dict[str, str]:
        token = self.tenant.mint(sub, self.org, role, tenants=(self.tenant.code,))
        return {"Authorization": f"Bearer {token}"}


def fill(client: httpx.Client, mint: TokenFactory) -> ConsoleWorld:
    tenant = setup_tenant(client, mint)
    auditor, officer = uid("auditor"), uid("officer")
    admin = {"Authorization": f"Bearer {mint('admin-1', municipality('GM0687'), 'admin')}"}
    register_people(client, admin, municipality("GM0687"), auditor, officer)
    welfare, police = tenant.pro("welfare"), tenant.pro("police")
    opened = tenant.open_plan(welfare)
    plan_id, member_id = opened["plan_id"], opened["member_ids"][0]
    health, safety = f"GGZ-diagnose {uid('h')}", f"veiligheidsplan {uid('s')}"
    for category, text in (("health", health), ("safety", safety)):
        _ok(tenant.command(welfare, plan_id, type="add_note", category=category, text=text))
    tenant.join(welfare, plan_id, police, role="police")
    plan = client.get(f"/plans/{plan_id}", headers=tenant.headers(welfare)).json()
    family = plan["members"][0]["family_name"]

    grant_plan = tenant.open_plan(welfare)["plan_id"]
    grant = client.post(
        f"/plans/{grant_plan}/emergency-access",
        json={"reason": GRANT_REASON},
        headers=tenant.headers(tenant.pro("police", 1)),
    )
    assert grant.status_code == 200, grant.text

    erased = tenant.open_plan(welfare)
    world = ConsoleWorld(
        tenant,
        plan_id,
        member_id,
        family,
        health,
        safety,
        grant_plan,
        grant.json()["grant_id"],
        "",
        auditor,
        officer,
    )
    erasure = client.post(
        f"/subjects/{erased['member_ids'][0]}/erasure",
        json={"reason": "verzoek van betrokkene", "legal_ground": "avg_art17_1a"},
        headers=world.bearer(officer, "privacy_officer"),
    )
    assert erasure.status_code in (200, 202), erasure.text
    world.receipt_id = erasure.json()["receipt_id"]
    # The auditor reads the plan through the API too: the processing log holds that read.
    _ok(client.get(f"/plans/{plan_id}", headers=world.bearer(auditor, "auditor")))
    return world


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response
