"""Through HTTP against a real server: every command type, and the error statuses of API.md."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.e2e.directory_setup import Tenant, setup_tenant


@pytest.fixture
def tenant(shared_client: httpx.Client, shared_token: Any) -> Tenant:
    return setup_tenant(shared_client, shared_token)


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_every_command_type_runs_against_one_plan(tenant: Tenant) -> None:
    reg, colleague, police = tenant.pro("welfare"), tenant.pro("welfare", 1), tenant.pro("police")
    opened = tenant.open_plan(reg)
    plan, member = opened["plan_id"], opened["member_ids"][0]
    run = lambda who, **body: _ok(tenant.command(who, plan, **body))  # noqa: E731 - a short local alias
    new_member = {
        "member_id": "kid-" + plan[:8],
        "given_name": "Kim",
        "family_name": "Test",
        "birth_date": "2015-02-03",
        "role": "child",
    }
    run(reg, type="add_member", member=new_member)
    run(reg, type="correct_member", member_id=new_member["member_id"], given_name="Kimberly", reason="typo")
    run(reg, type="remove_member", member_id=new_member["member_id"], reason="verhuisd")
    address = {"street": "Markt", "house_number": "2a", "postal_code": "4331LK", "city": "Middelburg"}
    run(reg, type="change_address", address=address)
    run(reg, type="join_care_team", professional_id=colleague, role="ondersteuning")
    run(reg, type="join_care_team", professional_id=police, role="wijkagent")  # a proposal: no mandate
    run(police, type="accept_proposal", proposal_id=f"careteam-{police}")
    housing = tenant.pro("housing")
    run(reg, type="join_care_team", professional_id=housing, role="corporatie")
    run(housing, type="decline_proposal", proposal_id=f"careteam-{housing}", reason="geen huurder")
    chief = lambda **body: _ok(tenant.command(police, plan, roles=("team_lead",), **body))  # noqa: E731
    chief(type="grant_mandate", organisation_id=tenant.orgs["police"], scope="all", valid_until="2030-01-01")
    mandate = _plan(tenant, reg, plan)["mandates"][0]["mandate_id"]
    chief(type="revoke_mandate", mandate_id=mandate, reason="klaar")
    run(
        reg,
        type="set_goal",
        goal_id="g1",
        life_domain="finances",
        description="schulden",
        target_date="2030-01-01",
    )
    run(reg, type="record_progress", goal_id="g1", score=2, note="start")
    run(
        reg,
        type="make_agreement",
        agreement_id="a1",
        goal_id="g1",
        responsible={"organisation_id": tenant.orgs["welfare"], "professional_id": colleague},
        action="budgetplan",
        due_date="2030-01-01",
    )
    run(reg, type="revise_agreement", agreement_id="a1", due_date="2030-02-01", reason="later")
    run(reg, type="complete_agreement", agreement_id="a1", note="gedaan")
    run(
        reg,
        type="make_agreement",
        agreement_id="a2",
        responsible={"member_id": member},
        action="post",
        due_date="2030-01-01",
    )
    run(reg, type="cancel_agreement", agreement_id="a2", reason="niet nodig")
    run(reg, type="close_goal", goal_id="g1", outcome="achieved")
    run(reg, type="assess_risk", level="medium", instrument="LIRIK", rationale="spanningen")
    run(
        reg,
        type="record_consent",
        organisation_id=tenant.orgs["police"],
        categories=["health"],
        purpose="plan_coordination",
        given_by=member,
        valid_until="2030-01-01",
    )
    consent = _plan(tenant, reg, plan)["consents"][0]["consent_id"]
    run(reg, type="withdraw_consent", consent_id=consent)
    run(reg, type="add_note", category="general", text="gesprek gehad")
    run(
        reg,
        type="hold_case_conference",
        held_on="2026-11-01",
        attendees=[reg, police, member],
        decisions=["doorgaan"],
    )
    run(reg, type="propose_handover", to_professional_id=colleague, note="warme overdracht")
    run(colleague, type="decline_handover", reason="vol")
    run(reg, type="propose_handover", to_professional_id=colleague, note="nogmaals")
    run(colleague, type="accept_handover")
    run(colleague, type="leave_care_team", professional_id=reg, reason="overgedragen")
    run(colleague, type="close_plan", reason="afgerond")
    result = run(colleague, type="reopen_plan", reason="terugval")
    view = _plan(tenant, colleague, plan)
    assert view["regisseur_id"] == colleague and view["status"] == "open"
    assert view["version"] == result["version"]
    history = tenant.client.get(f"/plans/{plan}/history", headers=tenant.headers(colleague)).json()["events"]
    assert {e["type"] for e in history} >= {
        "Opened",
        "MemberCorrected",
        "RegisseurHandedOver",
        "PlanReopened",
    }


def test_assign_regisseur_through_http_and_a_second_one_conflicts(tenant: Tenant) -> None:
    reg, other = tenant.pro("welfare"), tenant.pro("welfare", 1)
    plan = tenant.open_plan(reg)["plan_id"]
    _ok(tenant.command(reg, plan, type="join_care_team", professional_id=other, role="x"))
    response = tenant.command(reg, plan, roles=("team_lead",), type="assign_regisseur", professional_id=other)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/regisseur-already-assigned")


def _plan(tenant: Tenant, who: str, plan_id: str) -> dict[str, Any]:
    response = tenant.client.get(f"/plans/{plan_id}", headers=tenant.headers(who))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_stale_if_match_gives_412_and_a_current_one_succeeds(tenant: Tenant) -> None:
    reg = tenant.pro("welfare")
    opened = tenant.open_plan(reg)
    plan, etag = opened["plan_id"], f'"{opened["version"]}"'
    first = tenant.client.post(
        f"/plans/{plan}/commands",
        json={"type": "add_note", "category": "general", "text": "a"},
        headers={**tenant.headers(reg), "If-Match": etag},
    )
    assert first.status_code == 200 and first.headers["ETag"] == f'"{opened["version"] + 1}"'
    stale = tenant.client.post(
        f"/plans/{plan}/commands",
        json={"type": "add_note", "category": "general", "text": "b"},
        headers={**tenant.headers(reg), "If-Match": etag},
    )
    assert stale.status_code == 412
    assert stale.json()["status"] == 412


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"type": "record_progress", "goal_id": "g", "score": 9}, 422),
        ({"type": "fly_to_the_moon"}, 422),
        ({"type": "add_note", "category": "general", "text": "x", "surprise": 1}, 422),
        (
            {
                "type": "add_member",
                "member": {
                    "given_name": "A",
                    "family_name": "B",
                    "birth_date": "1990-01-01",
                    "role": "adult",
                    "bsn": "123456789",
                },
            },
            422,
        ),
        (
            {
                "type": "change_address",
                "address": {"street": "A", "house_number": "1", "postal_code": "12345", "city": "B"},
            },
            422,
        ),
        (
            {"type": "set_goal", "life_domain": "finances", "description": "x", "target_date": "2026-13-45"},
            422,
        ),
        ({"type": "add_note", "category": "general", "text": "x\u0000y"}, 422),
    ],
    ids=["score", "unknown-type", "extra-field", "bsn-elfproef", "postal-code", "date", "nul-byte"],
)
def test_invalid_commands_get_a_problem_and_change_nothing(
    tenant: Tenant, body: dict[str, Any], status: int
) -> None:
    reg = tenant.pro("welfare")
    opened = tenant.open_plan(reg)
    response = tenant.command(reg, opened["plan_id"], **body)
    assert response.status_code == status, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["status"] == status and problem["errors"]
    assert _plan(tenant, reg, opened["plan_id"])["version"] == opened["version"]


def test_malformed_json_is_a_400(tenant: Tenant) -> None:
    reg = tenant.pro("welfare")
    plan = tenant.open_plan(reg)["plan_id"]
    response = tenant.client.post(
        f"/plans/{plan}/commands",
        content=b'{"type": "add_note",',
        headers={**tenant.headers(reg), "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["title"] == "Bad Request"


def test_a_caller_of_another_tenant_gets_404_for_the_plan_and_its_history(
    tenant: Tenant, shared_token: Any
) -> None:
    plan = tenant.open_plan(tenant.pro("welfare"))["plan_id"]
    other = setup_tenant(tenant.client, shared_token, "GM0363", kinds=("welfare",))
    stranger = other.headers(other.pro("welfare"), "auditor")
    for path in (f"/plans/{plan}", f"/plans/{plan}/history"):
        assert tenant.client.get(path, headers=stranger).status_code == 404
    response = tenant.client.post(
        f"/plans/{plan}/commands",
        json={"type": "add_note", "category": "general", "text": "x"},
        headers=stranger,
    )
    assert response.status_code == 404


def test_an_uninvolved_organisation_gets_404_not_403(tenant: Tenant) -> None:
    plan = tenant.open_plan(tenant.pro("welfare"))["plan_id"]
    outsider = tenant.pro("housing")
    assert tenant.client.get(f"/plans/{plan}", headers=tenant.headers(outsider)).status_code == 404


def test_requests_without_a_bearer_token_or_with_an_expired_one_get_401(
    tenant: Tenant, shared_token: Any
) -> None:
    plan = tenant.open_plan(tenant.pro("welfare"))["plan_id"]
    assert tenant.client.get(f"/plans/{plan}").status_code == 401
    basic = tenant.client.get(f"/plans/{plan}", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401
    expired = shared_token(tenant.pro("welfare"), tenant.orgs["welfare"], ttl=-120)
    response = tenant.client.get(f"/plans/{plan}", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    garbage = tenant.client.get(f"/plans/{plan}", headers={"Authorization": "Bearer not.a.jwt"})
    assert garbage.status_code == 401


def test_a_plan_replays_to_a_version_and_to_a_moment(tenant: Tenant) -> None:
    reg = tenant.pro("welfare")
    opened = tenant.open_plan(reg)
    plan = opened["plan_id"]
    time.sleep(0.05)
    history = tenant.client.get(f"/plans/{plan}/history", headers=tenant.headers(reg)).json()["events"]
    moment = history[-1]["time"]
    _ok(tenant.command(reg, plan, type="assess_risk", level="high", rationale="escalatie"))
    at_version = tenant.client.get(
        f"/plans/{plan}", params={"version": opened["version"]}, headers=tenant.headers(reg)
    )
    at_moment = tenant.client.get(f"/plans/{plan}", params={"as_of": moment}, headers=tenant.headers(reg))
    for response in (at_version, at_moment):
        assert response.status_code == 200 and response.json()["version"] == opened["version"]
        assert response.json().get("risk") is None
    before = tenant.client.get(
        f"/plans/{plan}", params={"as_of": "2000-01-01T00:00:00+00:00"}, headers=tenant.headers(reg)
    )
    assert before.status_code == 404
    too_far = tenant.client.get(f"/plans/{plan}", params={"version": 2**63 - 1}, headers=tenant.headers(reg))
    assert too_far.status_code == 404
    beyond = tenant.client.get(f"/plans/{plan}", params={"version": 2**63}, headers=tenant.headers(reg))
    assert beyond.status_code == 422 and beyond.json()["errors"][0]["loc"] == ["query", "version"]


def test_history_records_actor_command_id_and_trace_id(tenant: Tenant) -> None:
    reg = tenant.pro("welfare")
    plan = tenant.open_plan(reg)["plan_id"]
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    response = tenant.client.post(
        f"/plans/{plan}/commands",
        json={"type": "add_note", "category": "general", "text": "x"},
        headers={
            **tenant.headers(reg),
            "Idempotency-Key": "cmd-123",
            "traceparent": f"00-{trace}-00f067aa0ba902b7-01",
        },
    )
    assert response.status_code == 200
    assert response.headers["traceparent"].split("-")[1] == trace
    last = tenant.client.get(f"/plans/{plan}/history", headers=tenant.headers(reg)).json()["events"][-1]
    assert last["actor"]["sub"] == reg and last["actor"]["org"] == tenant.orgs["welfare"]
    assert last["actor"]["command_id"] == "cmd-123" and last["actor"]["trace_id"] == trace
