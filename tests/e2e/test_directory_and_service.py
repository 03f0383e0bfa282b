"""The directory endpoints, roles, health and readiness, and what the logs keep out."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import STORE
from tests.e2e.conftest import Server
from tests.e2e.directory_setup import admin_headers, setup_tenant
from tests.factories import uid


def test_only_an_admin_registers_organisations_and_an_id_is_registered_once(
    shared_client: httpx.Client, shared_token: Any
) -> None:
    body = {"id": uid("org"), "name": "Wijkteam", "kind": "welfare", "tenants": ["GM0687"]}
    tenant = setup_tenant(shared_client, shared_token, kinds=("welfare",))
    professional = tenant.headers(tenant.pro("welfare"))
    assert shared_client.post("/organisations", json=body, headers=professional).status_code == 403
    admin = admin_headers(shared_token, "GM0687")
    assert shared_client.post("/organisations", json=body, headers=admin).status_code == 201
    again = shared_client.post("/organisations", json=body, headers=admin)
    assert again.status_code == 409 and again.json()["type"].endswith("/already-exists")


def test_an_unknown_organisation_kind_is_a_validation_problem(
    shared_client: httpx.Client, shared_token: Any
) -> None:
    body = {"id": uid("org"), "name": "x", "kind": "circus", "tenants": ["GM0687"]}
    response = shared_client.post("/organisations", json=body, headers=admin_headers(shared_token, "GM0687"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][-1] == "kind"


def test_directory_listings_show_only_the_callers_tenants(
    shared_client: httpx.Client, shared_token: Any
) -> None:
    mine = setup_tenant(shared_client, shared_token, "GM0687", kinds=("welfare",))
    theirs = setup_tenant(shared_client, shared_token, "GM0363", kinds=("police",))
    headers = mine.headers(mine.pro("welfare"))
    org_ids = {o["id"] for o in shared_client.get("/organisations", headers=headers).json()}
    team_ids = {t["id"] for t in shared_client.get("/teams", headers=headers).json()}
    assert mine.orgs["welfare"] in org_ids and theirs.orgs["police"] not in org_ids
    assert mine.team_id in team_ids and theirs.team_id not in team_ids
    assert shared_client.get(f"/professionals/{mine.pro('welfare')}", headers=headers).status_code == 200
    assert shared_client.get(f"/professionals/{theirs.pro('police')}", headers=headers).status_code == 404


def test_health_and_readiness_need_no_token(shared_client: httpx.Client) -> None:
    assert shared_client.get("/health").status_code == 200
    ready = shared_client.get("/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    # On PostgreSQL the compiled psycopg runs (the pure-Python one is several times slower).
    expected = {"binary", "c"} if STORE == "postgres" else {None}
    assert ready.json()["postgres_driver"] in expected


def test_log_lines_carry_request_and_trace_ids_but_no_personal_values(
    shared_client: httpx.Client, shared_token: Any, shared_server: Server
) -> None:
    tenant = setup_tenant(shared_client, shared_token)
    reg = tenant.pro("welfare")
    member = {
        "given_name": "Zebedeus",
        "family_name": "Quastenbroek",
        "birth_date": "1971-07-17",
        "role": "adult",
        "bsn": "111222333",
    }
    body = {
        "tenant": tenant.code,
        "team_id": tenant.team_id,
        "legal_basis": "wmo2015",
        "reason": "Xylofoonschuld",
        "household": {
            "members": [member],
            "address": {
                "street": "Wijnbergstraat",
                "house_number": "9",
                "postal_code": "4331 AB",
                "city": "Middelburg",
            },
        },
    }
    assert shared_client.post("/plans", json=body, headers=tenant.headers(reg)).status_code == 201
    bad = dict(
        body, household={"members": [dict(member, bsn="123456789")], "address": body["household"]["address"]}
    )
    assert shared_client.post("/plans", json=bad, headers=tenant.headers(reg)).status_code == 422
    log = shared_server.log.read_text()
    for value in (
        "Zebedeus",
        "Quastenbroek",
        "1971-07-17",
        "111222333",
        "123456789",
        "Xylofoonschuld",
        "Wijnbergstraat",
    ):
        assert value not in log
    assert '"request_id"' in log and '"trace_id"' in log and f'"sub": "{reg}"' in log
