"""FHIR out: the caller's view of a plan, validated by the fhir.resources R4B models."""

from __future__ import annotations

import httpx
import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from eenplan.api.settings import Settings
from tests.e2e.conftest import Server, TokenFactory
from tests.e2e.partner_world import auth, open_plan, seed
from tests.factories import World


@pytest.fixture
def world(shared_settings: Settings) -> World:
    """A directory of its own in the store of `shared_server`."""
    return seed(shared_settings)


def _plan_with_goals(client: httpx.Client, world: World, bearer: str, colleague: str) -> str:
    plan_id = open_plan(client, world, bearer)
    commands = [
        {"type": "join_care_team", "professional_id": colleague, "role": "schuldhulp"},
        {"type": "set_goal", "goal_id": "geld", "life_domain": "finances", "description": "budget op orde"},
        {"type": "record_progress", "goal_id": "geld", "score": 4},
        {
            "type": "set_goal",
            "goal_id": "werk",
            "life_domain": "work_education",
            "description": "werk vinden",
        },
        {"type": "close_goal", "goal_id": "werk", "outcome": "achieved"},
        {
            "type": "set_goal",
            "goal_id": "thuis",
            "life_domain": "housing",
            "description": "woning",
            "target_date": "2027-01-01",
        },
        {
            "type": "make_agreement",
            "goal_id": "geld",
            "responsible": {"organisation_id": world.orgs["welfare"]},
            "action": "post openen",
            "due_date": "2027-02-01",
        },
    ]
    response = client.post(
        f"/plans/{plan_id}/commands:batch", json={"commands": commands}, headers=auth(bearer)
    )
    assert response.status_code == 200, response.text
    return plan_id


def test_the_fhir_bundle_validates_as_r4b_with_careplan_careteam_and_goals(
    shared_server: Server, shared_client: httpx.Client, world: World, shared_token: TokenFactory
) -> None:
    welfare, social = world.orgs["welfare"], world.orgs["social_work"]
    regisseur, colleague = world.pros[welfare][0], world.pros[social][0]
    bearer = shared_token(regisseur, welfare)
    plan_id = _plan_with_goals(shared_client, world, bearer, colleague)
    accept = {"type": "accept_proposal", "proposal_id": f"careteam-{colleague}"}  # no mandate: asked
    colleague_bearer = auth(shared_token(colleague, social))
    joined = shared_client.post(f"/plans/{plan_id}/commands", json=accept, headers=colleague_bearer)
    assert joined.status_code == 200, joined.text

    response = shared_client.get(f"/plans/{plan_id}/fhir", headers=auth(bearer))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/fhir+json; fhirVersion=4.3"
    bundle = Bundle.model_validate(response.json())
    resources = {}
    for entry in bundle.entry or []:
        resource = entry.resource
        model = get_fhir_model_class(resource.get_resource_type())
        model.model_validate(resource.model_dump())  # each resource validates on its own, too
        resources.setdefault(resource.get_resource_type(), []).append((entry.fullUrl, resource))

    ((care_plan_url, care_plan),) = resources["CarePlan"]
    ((group_url, group),) = resources["Group"]
    ((team_url, team),) = resources["CareTeam"]
    organisations = {url for url, _ in resources["Organization"]}
    assert care_plan.subject.reference == group_url
    assert group.quantity == 2 and len(resources["Patient"]) == 2
    assert [r.reference for r in care_plan.careTeam] == [team_url]
    assert {p.onBehalfOf.reference for p in team.participant} == organisations
    assert len(organisations) == 2
    achievement = {g.identifier[0].value: g.achievementStatus.coding[0].code for _, g in resources["Goal"]}
    assert achievement == {"geld": "improving", "werk": "achieved", "thuis": "in-progress"}
    assert care_plan_url.startswith("urn:uuid:")
    assert [(a.detail.status, a.detail.description) for a in care_plan.activity] == [
        ("not-started", "post openen")
    ]
    # Who does the agreement, and for which goal; who wrote the plan; everyone by name.
    goals = {g.identifier[0].value: url for url, g in resources["Goal"]}
    practitioners = {p.identifier[0].value: (url, p) for url, p in resources["Practitioner"]}
    by_org = {o.identifier[0].value: (url, o) for url, o in resources["Organization"]}
    (activity,) = care_plan.activity
    assert [g.reference for g in activity.detail.goal] == [goals["geld"]]
    assert [p.reference for p in activity.detail.performer] == [by_org[welfare][0]]
    assert care_plan.author.reference == practitioners[regisseur][0]
    for _, practitioner in practitioners.values():
        assert practitioner.name and practitioner.name[0].text, practitioner
    for _, organisation in by_org.values():
        assert organisation.name, organisation
    directory = shared_client.get(f"/professionals/{regisseur}", headers=auth(bearer)).json()
    assert practitioners[regisseur][1].name[0].text == directory["name"]
    orgs = {o["id"]: o["name"] for o in shared_client.get("/organisations", headers=auth(bearer)).json()}
    assert by_org[welfare][1].name == orgs[welfare]


def test_fhir_xml_and_other_fhir_versions_are_406_and_fhir_json_of_4_3_is_served(
    shared_server: Server, shared_client: httpx.Client, world: World, shared_token: TokenFactory
) -> None:
    welfare = world.orgs["welfare"]
    bearer = shared_token(world.pros[welfare][0], welfare)
    plan_id = open_plan(shared_client, world, bearer)
    path = f"/plans/{plan_id}/fhir"
    for accept in ("application/fhir+xml", "application/xml", "application/fhir+json; fhirVersion=4.0"):
        refused = shared_client.get(path, headers=auth(bearer, Accept=accept))
        assert refused.status_code == 406, accept
        assert refused.headers["content-type"] == "application/problem+json"
    for accept in (
        "application/fhir+json",
        "application/fhir+json; fhirVersion=4.3",
        "application/json",
        "application/fhir+xml;q=0.9, application/fhir+json;q=0.5",
        "*/*",
    ):
        served = shared_client.get(path, headers=auth(bearer, Accept=accept))
        assert served.status_code == 200, (accept, served.text)
        assert served.headers["content-type"] == "application/fhir+json; fhirVersion=4.3"


def test_the_fhir_bundle_is_only_for_callers_who_see_the_plan(
    shared_server: Server, shared_client: httpx.Client, world: World, shared_token: TokenFactory
) -> None:
    welfare, police = world.orgs["welfare"], world.orgs["police"]
    bearer = shared_token(world.pros[welfare][0], welfare)
    plan_id = open_plan(shared_client, world, bearer)
    response = shared_client.get(
        f"/plans/{plan_id}/fhir", headers=auth(shared_token(world.pros[police][0], police))
    )
    assert response.status_code == 404
