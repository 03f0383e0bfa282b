"""Need to know over HTTP: each organisation sees what the policy and consent allow, no more."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import TokenFactory
from tests.e2e.privacy_world import HttpWorld, open_plan, setup


def _plan_with_notes(world: HttpWorld) -> tuple[str, str]:
    opened = open_plan(world, "social_work")
    plan_id, member_id = opened["plan_id"], opened["member_ids"][0]
    for category, text in (
        ("safety", "veiligheidsplan"),
        ("justice", "reclassering"),
        ("health", "GGZ-diagnose"),
    ):
        world.command("social_work", plan_id, type="add_note", category=category, text=text)
    return plan_id, member_id


def _join(world: HttpWorld, plan_id: str, kind: str) -> None:
    """Social work asks; the other organisation's worker accepts (there is no mandate)."""
    world.command("social_work", plan_id, type="join_care_team", professional_id=world.pros[kind], role=kind)
    world.command(kind, plan_id, type="accept_proposal", proposal_id=f"careteam-{world.pros[kind]}")


def test_the_police_sees_safety_and_justice_and_never_health_not_even_with_consent(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "social_work", "police")
    plan_id, member_id = _plan_with_notes(world)
    world.command("social_work", plan_id, type="add_note", category="finance", text="huurachterstand")
    _join(world, plan_id, "police")
    view = shared_client.get(f"/plans/{plan_id}", headers=world.auth("police")).json()
    assert {n["category"] for n in view["notes"]} == {"safety", "justice"}
    assert "given_name" not in view["members"][0]
    history = shared_client.get(f"/plans/{plan_id}/history", headers=world.auth("police")).json()["events"]
    assert "GGZ-diagnose" not in str(history) and "reclassering" in str(history)

    world.command(
        "social_work",
        plan_id,
        type="record_consent",
        organisation_id=world.orgs["police"],
        categories=["finance", "health"],
        purpose="plan_coordination",
        given_by=member_id,
    )
    view = shared_client.get(f"/plans/{plan_id}", headers=world.auth("police")).json()
    # Consent widens what the policy lets it widen; health stays with care, as the policy's `never` says.
    assert {n["category"] for n in view["notes"]} == {"safety", "justice", "finance"}
    history = shared_client.get(f"/plans/{plan_id}/history", headers=world.auth("police")).json()["events"]
    assert "GGZ-diagnose" not in str(history) and "huurachterstand" in str(history)
    consent_id = view["consents"][0]["consent_id"]
    world.command("social_work", plan_id, type="withdraw_consent", consent_id=consent_id)
    view = shared_client.get(f"/plans/{plan_id}", headers=world.auth("police")).json()
    assert "finance" not in {n["category"] for n in view["notes"]}


def test_a_housing_corporation_on_the_care_team_sees_general_fields_and_its_own_agreements(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "social_work", "housing")
    plan_id, _member = _plan_with_notes(world)
    _join(world, plan_id, "housing")
    goal = world.command(
        "social_work", plan_id, type="set_goal", life_domain="mental_health", description="rust"
    )
    assert goal.status_code == 200
    goal_id = shared_client.get(f"/plans/{plan_id}", headers=world.auth("social_work")).json()["goals"][0][
        "goal_id"
    ]
    for kind, action in (("housing", "huurachterstand regelen"), ("social_work", "GGZ-verwijzing")):
        world.command(
            "social_work",
            plan_id,
            type="make_agreement",
            agreement_id=f"a-{kind}",
            goal_id=goal_id,
            responsible={"organisation_id": world.orgs[kind]},
            action=action,
            due_date="2030-01-01",
        )
    world.command("housing", plan_id, type="accept_proposal", proposal_id="a-housing")  # asked, no mandate
    view = shared_client.get(f"/plans/{plan_id}", headers=world.auth("housing")).json()
    assert [a["action"] for a in view["agreements"]] == ["huurachterstand regelen"]
    assert view["notes"] == [] and view["goals"] == []
    assert "given_name" not in view["members"][0] and view["reason"] == "schulden en zorgen"
    assert "street" not in (view.get("address") or {})


def test_an_organisation_not_involved_gets_404_on_every_plan_path(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "social_work", "police")
    plan_id, _member = _plan_with_notes(world)
    outsider = world.auth("police")
    for path in (f"/plans/{plan_id}", f"/plans/{plan_id}/history", f"/plans/{plan_id}?version=1"):
        assert shared_client.get(path, headers=outsider).status_code == 404, path
    body = {"type": "add_note", "category": "general", "text": "x"}
    assert shared_client.post(f"/plans/{plan_id}/commands", json=body, headers=outsider).status_code == 404


def test_breaking_the_glass_opens_what_the_policy_gives_the_kind_and_lands_in_the_review_list(
    client: httpx.Client, token: TokenFactory
) -> None:
    world = setup(client, token, "social_work", "police")
    plan_id, _member = _plan_with_notes(world)
    reason = "Melding acuut gevaar: kind alleen thuis aangetroffen"
    response = client.post(
        f"/plans/{plan_id}/emergency-access", json={"reason": reason}, headers=world.auth("police")
    )
    assert response.status_code == 200, response.text
    view = client.get(f"/plans/{plan_id}", headers=world.auth("police")).json()
    assert view["relation"] == "emergency" and view["members"][0]["given_name"] == "Ann"
    grants = client.get("/privacy/emergency-access", headers=world.officer()).json()["grants"]
    assert grants[0]["plan_id"] == plan_id and grants[0]["reason"] == reason


def test_an_auditor_sees_the_history_as_an_organisation_could_see_it_at_that_moment(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "social_work", "police")
    plan_id, _member = _plan_with_notes(world)
    before_joining = shared_client.get(f"/plans/{plan_id}", headers=world.auth("social_work")).json()[
        "last_activity"
    ]
    _join(world, plan_id, "police")
    auditor = world.auditor()
    police = world.orgs["police"]
    path = f"/plans/{plan_id}/history"
    then = shared_client.get(path, params={"as_of": before_joining, "as_seen_by": police}, headers=auditor)
    # Before joining, the police could see nothing of the plan: as for the plan view, a 404.
    assert then.status_code == 404, then.text
    assert "no relation then" in then.json()["detail"]
    now = shared_client.get(path, params={"as_seen_by": police}, headers=auditor).json()["events"]
    texts = {e["data"].get("text") for e in now if e["type"] == "NoteAdded"}
    assert texts == {"veiligheidsplan", "reclassering", None}
    assert (
        shared_client.get(path, params={"as_seen_by": police}, headers=world.auth("social_work")).status_code
        == 403
    )
    view = shared_client.get(f"/plans/{plan_id}", params={"as_seen_by": police}, headers=auditor).json()
    assert {n["category"] for n in view["notes"]} == {"safety", "justice"} and view["relation"] == "care_team"
    before = shared_client.get(
        f"/plans/{plan_id}", params={"as_seen_by": police, "as_of": before_joining}, headers=auditor
    )
    assert before.status_code == 404
