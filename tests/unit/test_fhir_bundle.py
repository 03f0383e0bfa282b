"""FHIR out in memory: a plan's bundle validates as R4B, and R4B notices when it would not.

The e2e test (tests/e2e/test_fhir.py) validates what the server answers; this one shows, without a
server, that the same validation is not a rubber stamp for our own output.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from eenplan.api.http.formats import fhir
from eenplan.privacy.views import plan_view
from tests.factories import in_memory_app, make_world


def regisseur_view() -> dict[str, Any]:
    """A plan with a goal and an agreement, as its regisseur sees it."""
    world = make_world(in_memory_app())
    regisseur = world.pros[world.orgs["welfare"]][0]
    plan_id = world.open(regisseur).plan_id
    goal = {"goal_id": "geld", "life_domain": "finances", "description": "budget"}
    world.run(regisseur, plan_id, type="set_goal", **goal)
    responsible = {"organisation_id": world.orgs["welfare"]}
    agreement = {"responsible": responsible, "action": "post", "due_date": "2027-02-01"}
    world.run(regisseur, plan_id, type="make_agreement", **agreement)
    return plan_view(world.app.plans.plan(world.ctx(regisseur).actor, plan_id), "regisseur", date.today())


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_a_plans_bundle_validates_as_r4b_and_so_does_each_resource_in_it() -> None:
    bundle = fhir.bundle(regisseur_view())
    validated = Bundle.model_validate(bundle)
    kinds = sorted(entry.resource.get_resource_type() for entry in validated.entry or [])
    assert kinds == ["CarePlan", "CareTeam", "Goal", "Group", "Organization", "Patient", "Practitioner"]
    for entry in bundle["entry"]:
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])


def test_a_goal_of_our_bundle_without_its_required_description_does_not_validate() -> None:
    bundle = fhir.bundle(regisseur_view())
    (goal,) = resources(bundle, "Goal")
    del goal["description"]
    with pytest.raises(ValidationError, match="description"):
        get_fhir_model_class("Goal").model_validate(goal)
    with pytest.raises(ValidationError):
        Bundle.model_validate(bundle)


def test_every_performer_goal_and_author_reference_resolves_inside_the_bundle_and_names_are_carried() -> None:
    view = regisseur_view()
    member = view["members"][0]["member_id"]
    pro = view["regisseur_id"]
    org = view["care_team"][0]["organisation_id"]
    view["agreements"][0]["goal_id"] = "geld"
    view["agreements"] += [
        {"responsible": {"member_id": member}, "action": "zelf bellen", "status": "open", "goal_id": "gone"},
        {
            "responsible": {"organisation_id": org, "professional_id": pro},
            "action": "huisbezoek",
            "status": "open",
        },
        {"responsible": {"member_id": "not-shown"}, "action": "x", "status": "open"},
    ]
    names = {f"professional:{pro}": "Anna de Vries", f"organisation:{org}": "Wijkteam Noord"}
    bundle = fhir.bundle(view, names)
    Bundle.model_validate(bundle)
    urls = {e["fullUrl"] for e in bundle["entry"]}
    (care_plan,) = resources(bundle, "CarePlan")
    references = [care_plan["author"]["reference"]] + [
        r["reference"]
        for a in care_plan["activity"]
        for r in [*a["detail"].get("performer", []), *a["detail"].get("goal", [])]
    ]
    assert references and set(references) <= urls  # nothing dangles
    performers = [[p["type"] for p in a["detail"].get("performer", [])] for a in care_plan["activity"]]
    assert performers == [["Organization"], ["Patient"], ["Practitioner", "Organization"], []]
    goals = [len(a["detail"].get("goal", [])) for a in care_plan["activity"]]
    assert goals == [1, 0, 0, 0]  # "gone" is no goal the caller sees: no reference to it
    (practitioner,) = resources(bundle, "Practitioner")
    assert practitioner["name"] == [{"text": "Anna de Vries"}]
    assert [o.get("name") for o in resources(bundle, "Organization")] == ["Wijkteam Noord"]
