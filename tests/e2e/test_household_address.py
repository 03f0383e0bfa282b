"""Households without a fixed address, or with a postal address only, over HTTP.

Social teams plan for people without a home: a plan opens without an address and says so, the
address changes to and from none, the lists (projections) carry such plans, and the FHIR export
marks them in FHIR's own terms. That a household has no address is personal data: a caller who
may not see identity data does not see it either.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from tests.e2e.conftest import TokenFactory
from tests.e2e.privacy_world import HttpWorld, setup

POSTAL = {
    "kind": "postal",
    "street": "Postbus",
    "house_number": "6000",
    "postal_code": "4330la",
    "city": "Middelburg",
}


def _open_without_address(world: HttpWorld) -> dict[str, Any]:
    body = {
        "tenant": "GM0687",
        "team_id": world.team_id,
        "legal_basis": "wmo2015",
        "household": {
            "members": [
                # A person of her own: one person is in one open plan (the server is shared).
                {
                    "given_name": "Kim",
                    "family_name": f"Smit {uuid.uuid4().hex[:8]}",
                    "birth_date": "1979-03-03",
                    "role": "adult",
                }
            ]
        },
        "reason": "geen woonplek",
    }
    response = world.client.post("/plans", json=body, headers=world.auth("social_work"))
    assert response.status_code == 201, response.text
    opened: dict[str, Any] = response.json()
    return opened


def _bundle(world: HttpWorld, plan_id: str) -> dict[str, list[Any]]:
    response = world.client.get(f"/plans/{plan_id}/fhir", headers=world.auth("social_work"))
    assert response.status_code == 200, response.text
    resources: dict[str, list[Any]] = {}
    for entry in Bundle.model_validate(response.json()).entry or []:
        resource = entry.resource
        get_fhir_model_class(resource.get_resource_type()).model_validate(resource.model_dump())
        resources.setdefault(resource.get_resource_type(), []).append(resource)
    return resources


def test_a_plan_opens_without_an_address_and_every_view_says_so(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "social_work", "housing")
    opened = _open_without_address(world)
    plan_id = opened["plan_id"]
    me = world.auth("social_work")
    assert shared_client.get(f"/plans/{plan_id}", headers=me).json()["address"] == {"kind": "none"}
    history = shared_client.get(f"/plans/{plan_id}/history", headers=me).json()["events"]
    assert history[0]["type"] == "Opened" and history[0]["data"]["address"] == {"kind": "none"}
    listed = shared_client.get("/plans", params={"min_position": opened["position"]}, headers=me).json()[
        "items"
    ]
    assert [p["plan_id"] for p in listed] == [plan_id]

    world.command(
        "social_work", plan_id, type="join_care_team", professional_id=world.pros["housing"], role="wonen"
    )
    world.command("housing", plan_id, type="accept_proposal", proposal_id=f"careteam-{world.pros['housing']}")
    answer = shared_client.get(f"/plans/{plan_id}", headers=world.auth("housing"))
    assert answer.status_code == 200, answer.text
    assert "kind" not in (answer.json().get("address") or {}), "no fixed address is identity data"


def test_the_address_changes_to_a_postal_one_and_back_to_none(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "social_work")
    plan_id = _open_without_address(world)["plan_id"]
    world.command("social_work", plan_id, type="change_address", address=POSTAL)
    view = shared_client.get(f"/plans/{plan_id}", headers=world.auth("social_work")).json()
    assert view["address"] == {**POSTAL, "postal_code": "4330 LA"}
    world.command("social_work", plan_id, type="change_address", address=None)
    view = shared_client.get(f"/plans/{plan_id}", headers=world.auth("social_work")).json()
    assert view["address"] == {"kind": "none"}

    wrong = {"type": "change_address", "address": {"kind": "none", "street": "Markt"}}
    refused = shared_client.post(f"/plans/{plan_id}/commands", json=wrong, headers=world.auth("social_work"))
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"


def test_fhir_marks_no_fixed_address_as_housing_status_and_a_briefadres_as_postal(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "social_work")
    plan_id = _open_without_address(world)["plan_id"]
    homeless = _bundle(world, plan_id)
    (observation,) = homeless["Observation"]
    assert observation.code.coding[0].code == "71802-3"
    assert observation.valueCodeableConcept.coding[0].code == "32911000"
    assert observation.subject.reference == homeless["Group"][0].id.join(("urn:uuid:", ""))
    assert all(not patient.address for patient in homeless["Patient"])

    world.command("social_work", plan_id, type="change_address", address=POSTAL)
    postal = _bundle(world, plan_id)
    assert "Observation" not in postal
    (address,) = postal["Patient"][0].address
    assert (address.use, address.type, address.line, address.postalCode) == (
        "home",
        "postal",
        ["Postbus 6000"],
        "4330 LA",
    )
