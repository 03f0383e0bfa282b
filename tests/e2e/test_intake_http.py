"""Intake over HTTP: a walk-in request is allocated across teams; signals match for the right eyes."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.conftest import TokenFactory
from tests.e2e.directory_setup import register_municipality, setup_tenant
from tests.factories import household, uid

TENANT = "GM0687"


class Admin:
    """Registers the directory through the API, as an administrator would."""

    def __init__(self, client: httpx.Client, token: TokenFactory) -> None:
        self.client = client
        self.headers = register_municipality(client, token, TENANT)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(path, json=body, headers=self.headers)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def team(self, *areas: str) -> str:
        return self.post(
            "/teams", {"id": uid("team"), "name": "Wijkteam", "tenant": TENANT, "areas": list(areas)}
        )["id"]

    def organisation(self, kind: str) -> str:
        """An organisation, with its partner system `<org id>-sys`."""
        org: str = self.post(
            "/organisations", {"id": uid(kind), "name": kind, "kind": kind, "tenants": [TENANT]}
        )["id"]
        self.post(f"/organisations/{org}/systems", {"id": f"{org}-sys", "name": f"{kind} system"})
        return org

    def professional(self, org: str, team: str, expertise: list[str], capacity: int) -> str:
        body = {
            "id": uid("pro"),
            "name": "Pro",
            "expertise": expertise,
            "team_ids": [team],
            "capacity": capacity,
        }
        return self.post(f"/organisations/{org}/professionals", body)["id"]


def bearer(token: TokenFactory, sub: str, org: str, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(sub, org, *roles)}"}


def test_a_walk_in_request_is_allocated_to_a_free_expert_of_another_team(
    client: httpx.Client, token: TokenFactory
) -> None:
    admin = Admin(client, token)
    nieuwland, groenoord = admin.team("Nieuwland"), admin.team("Groenoord")
    wot = admin.organisation("social_work")
    local = admin.professional(wot, nieuwland, [], capacity=10)
    full_expert = admin.professional(wot, nieuwland, ["money"], capacity=1)
    expert = admin.professional(wot, groenoord, ["money", "housing"], capacity=5)
    plan = {"tenant": TENANT, "team_id": nieuwland, "legal_basis": "wmo2015", "household": household()}
    opened = client.post("/plans", json={**plan, "reason": "debts"}, headers=bearer(token, full_expert, wot))
    assert opened.status_code == 201, opened.text

    desk = bearer(token, local, wot)
    walk_in = {
        "tenant": TENANT,
        "channel": "walk_in",
        "location": "Wijkcentrum Nieuwland",
        "area": "Nieuwland",
        "topics": ["money"],
        "summary": "letters from the bailiff",
        "contact": {"given_name": "Sam", "family_name": "Jansen", "phone": "010 123 4567"},
    }
    created = client.post("/help-requests", json=walk_in, headers=desk)
    assert created.status_code == 201, created.text
    request_id = created.json()["request_id"]

    ranked = client.get(f"/help-requests/{request_id}/candidates", headers=desk).json()
    assert [c["professional_id"] for c in ranked] == [expert, local]
    assert ranked[0]["team_id"] == groenoord
    assert set(ranked[0]["parts"]) >= {"expertise", "capacity", "waiting"}
    assert ranked[0]["parts"]["expertise"] == 1.0 and ranked[1]["parts"]["proximity"] == 1.0

    commands = f"/help-requests/{request_id}/commands"
    refused = client.post(commands, json={"type": "assign", "professional_id": local}, headers=desk)
    assert refused.status_code == 409 and "reason" in refused.json()["detail"]
    assigned = client.post(commands, json={"type": "assign", "professional_id": expert}, headers=desk)
    assert assigned.status_code == 200, assigned.text
    contact = client.post(commands, json={"type": "record_first_contact"}, headers=bearer(token, expert, wot))
    assert contact.status_code == 200, contact.text

    seen = client.get(f"/help-requests/{request_id}", headers=desk).json()
    assert seen["assignment"]["professional_id"] == expert and seen["assignment"]["chosen_by"] == local
    assert seen["assignment"]["team_id"] == groenoord and seen["first_contact_at"]
    no_need_to_know = bearer(token, full_expert, wot)
    assert client.get(f"/help-requests/{request_id}", headers=no_need_to_know).status_code == 404
    times = client.get(
        "/help-requests/waiting-times", params={"tenant": TENANT, "team_id": groenoord}, headers=desk
    )
    assert [(r["topic"], r["to_assignment"]["count"]) for r in times.json()] == [("money", 1)]


def test_two_signals_make_a_match_that_the_team_sees_and_an_uninvolved_organisation_does_not(
    client: httpx.Client, token: TokenFactory
) -> None:
    admin = Admin(client, token)
    team = admin.team("Oost")
    welzijn, woonstad, energie, school = (
        admin.organisation(k) for k in ("welfare", "housing", "municipality", "education")
    )
    member = admin.professional(welzijn, team, [], capacity=10)
    person = {"given_name": "Noa", "family_name": "de Vries", "birth_date": "1990-03-01", "bsn": "111222333"}

    def post_signal(org: str, kind: str) -> dict[str, Any]:
        body = {"tenant": TENANT, "type": kind, "person": person, "area": "Oost"}
        response = client.post(
            "/signals", json=body, headers=bearer(token, f"{org}-sys", org, "partner_system")
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    assert post_signal(woonstad, "rent_arrears")["matched"] is False
    assert post_signal(energie, "energy_arrears")["matched"] is True
    with_content = {"tenant": TENANT, "type": "rent_arrears", "person": person, "note": "owes 3 months"}
    refused = client.post(
        "/signals", json=with_content, headers=bearer(token, f"{woonstad}-sys", woonstad, "partner_system")
    )
    assert refused.status_code == 422

    def matches(sub: str, org: str, *roles: str) -> list[dict[str, Any]]:
        response = client.get(
            "/signals/matches", params={"team_id": team}, headers=bearer(token, sub, org, *roles)
        )
        assert response.status_code == 200, response.text
        result: list[dict[str, Any]] = response.json()
        return result

    (for_team,) = matches(member, welzijn)
    assert for_team["person"]["family_name"] == "de Vries" and for_team["organisation_ids"] == sorted(
        [woonstad, energie]
    )
    (for_signaller,) = matches(f"{woonstad}-sys", woonstad, "partner_system")
    assert "person" not in for_signaller
    assert matches(f"{school}-sys", school, "partner_system") == []
    other = setup_tenant(client, token, "GM0363", kinds=("welfare",))
    elsewhere = other.headers(other.pro("welfare"))
    assert client.get("/signals/matches", params={"team_id": team}, headers=elsewhere).status_code == 404
