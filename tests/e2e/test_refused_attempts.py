"""Refused attempts are logged (NEN 7513), over HTTP, without telling the caller anything new.

A read or command that is refused writes its processing-log lines for the plan's members, with the
LDV status the standard gives a refusal (UNSET), the NEN 7513 outcome "4" and the problem type the
caller got as its reason. The caller's answer does not change: an invisible plan is the same 404 as
an unknown one, and an unknown plan id writes nothing.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from typing import Any

import httpx

from eenplan.api.settings import Settings
from tests import ldv
from tests.e2e.conftest import TokenFactory
from tests.e2e.partner_world import open_plan as open_partner_plan
from tests.e2e.partner_world import seed
from tests.e2e.privacy_world import HttpWorld, open_plan, setup

STRUCTURED = {"content-type": "application/cloudevents+json"}
BATCH = {"content-type": "application/cloudevents-batch+json"}


def _log(world: HttpWorld, plan_id: str) -> list[dict[str, Any]]:
    response = world.client.get(f"/plans/{plan_id}/processing-log", headers=world.officer())
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def _refused(entries: list[dict[str, Any]], reason: str) -> list[dict[str, Any]]:
    return [e for e in entries if ldv.reason(e) == reason]


def _assert_refusal(line: dict[str, Any], status: int, reason: str) -> None:
    assert line["status_code"] == "STATUS_CODE_ERROR"  # LDV: the processing did not happen
    # NEN 7513's minor failure (EventOutcomeIndicator 4): refused, with the status and the reason.
    assert ldv.control(line) == {
        "controle": "response",
        "result": "refused",
        "status": status,
        "reason": reason,
    }


def test_a_read_refused_to_an_outsider_is_logged_for_each_member_with_status_and_reason(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "social_work", "housing")
    opened = open_plan(world, "social_work")
    plan_id = opened["plan_id"]
    outsider = shared_client.get(f"/plans/{plan_id}", headers=world.auth("housing"))
    unknown = shared_client.get(f"/plans/{uuid.uuid4()}", headers=world.auth("housing"))
    assert (outsider.status_code, unknown.status_code) == (404, 404)
    assert outsider.json()["type"] == unknown.json()["type"], "the refusal says nothing new"
    assert shared_client.get(f"/plans/{plan_id}", headers=world.auth("social_work")).status_code == 200

    entries = _log(world, plan_id)
    (refused,) = _refused(entries, "plan-not-found")
    _assert_refusal(refused, 404, "plan-not-found")
    assert refused["name"] == "read_plan"
    assert refused["attributes"]["dpl.nen7513.users"][0]["userID"] == world.pros["housing"]
    user = refused["attributes"]["dpl.nen7513.users"][0]
    assert user["alternateUserID"] == f"{world.orgs['housing']}/{world.pros['housing']}"
    assert refused["trace_id"] == outsider.headers["traceparent"].split("-")[1]
    (read,) = [e for e in entries if e["name"] == "read_plan" and e is not refused]
    assert read["status_code"] == "STATUS_CODE_OK" and ldv.reason(read) is None
    assert ldv.control(read) == {"controle": "response", "result": "ok", "status": 200}
    subject = read["attributes"]["dpl.core.data_subject_id"]
    assert refused["attributes"]["dpl.core.data_subject_id"] == subject
    assert opened["member_ids"][0] not in str(entries), "lines hold pseudonyms, never member ids"


def test_a_read_without_a_valid_token_is_logged_with_no_user(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "social_work")
    plan_id = open_plan(world, "social_work")["plan_id"]
    bad = {"Authorization": "Bearer not-a-token"}
    assert shared_client.get(f"/plans/{plan_id}/history", headers=bad).status_code == 401

    (line,) = _refused(_log(world, plan_id), "unauthorized")
    _assert_refusal(line, 401, "unauthorized")
    assert line["name"] == "read_history"
    assert line["attributes"]["dpl.nen7513.users"][0]["userID"] is None


def test_refused_commands_are_logged_with_their_operation_and_reason(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "social_work", "housing")
    opened = open_plan(world, "social_work")
    plan_id, member_id = opened["plan_id"], opened["member_ids"][0]
    goal = {"type": "set_goal", "life_domain": "finances", "description": "schulden"}
    attempts = [
        (world.auth("social_work") | {"If-Match": '"99"'}, goal, 412, "version-mismatch"),
        (
            world.auth("social_work"),
            {"type": "remove_member", "member_id": member_id, "reason": "x"},
            409,
            "member",
        ),
        (world.auth("social_work"), {"type": "set_goal", "life_domain": "finances"}, 422, "validation"),
        (world.auth("housing"), goal, 404, "plan-not-found"),
    ]
    for headers, body, status, _ in attempts:
        response = shared_client.post(f"/plans/{plan_id}/commands", json=body, headers=headers)
        assert response.status_code == status, response.text
    world.command("social_work", plan_id, **goal)

    entries = _log(world, plan_id)
    for _, body, status, reason in attempts:
        (line,) = _refused(entries, reason)
        _assert_refusal(line, status, reason)
        assert line["name"] == f"run_command:{body['type']}"
    done = [
        e for e in entries if e["name"] == "run_command:set_goal" and e["status_code"] == "STATUS_CODE_OK"
    ]
    assert len(done) == 1 and ldv.control(done[0])["status"] == 200


def test_refused_attempts_are_in_the_art_15_export_of_the_person(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "social_work", "housing")
    opened = open_plan(world, "social_work")
    member_id = opened["member_ids"][0]
    assert (
        shared_client.get(f"/plans/{opened['plan_id']}/fhir", headers=world.auth("housing")).status_code
        == 404
    )
    refused_export = shared_client.get(f"/subjects/{member_id}/export", headers=world.auth("housing"))
    assert refused_export.status_code == 403

    export = shared_client.get(f"/subjects/{member_id}/export", headers=world.officer())
    assert export.status_code == 200, export.text
    log = export.json()["processing_log"]
    assert {e["name"] for e in _refused(log, "plan-not-found")} == {"read_plan_as_fhir"}
    (refused,) = _refused(log, "not-allowed")
    _assert_refusal(refused, 403, "not-allowed")
    assert refused["name"] == "export_subject"
    assert refused["attributes"]["dpl.nen7513.users"][0]["userID"] == world.pros["housing"]


def test_refused_cloudevents_are_logged_alone_and_inside_a_batch(
    shared_client: httpx.Client, shared_settings: Settings, shared_token: TokenFactory
) -> None:
    world = seed(shared_settings)
    welfare, police = world.orgs["welfare"], world.orgs["police"]
    plan_id = open_partner_plan(shared_client, world, shared_token(world.pros[welfare][0], welfare))
    system = {"Authorization": f"Bearer {shared_token(world.systems[police], police, 'partner_system')}"}
    acting = {**system, "X-Acting-For": world.pros[police][0]}
    note = _cloudevent(plan_id, "b-1", "nl.eenplan.note.added", {"category": "general", "text": "melding"})
    missing = _cloudevent(plan_id, "b-2", "nl.eenplan.goal.progressed", {"goal_id": "none", "score": 2})
    batch = shared_client.post("/events", content=json.dumps([note, missing]), headers={**acting, **BATCH})
    assert [r["status"] for r in batch.json()["results"]] == [404, 404], "police is not on the care team"
    alone = shared_client.post(
        "/events", content=json.dumps(missing | {"id": "s-1"}), headers={**system, **STRUCTURED}
    )
    assert alone.status_code == 422, alone.text  # a partner system names whom it acts for

    officer = {
        "Authorization": f"Bearer {shared_token(world.officer, world.municipality, 'privacy_officer')}"
    }
    entries = shared_client.get(f"/plans/{plan_id}/processing-log", headers=officer).json()["entries"]
    refused = Counter((e["name"], ldv.reason(e)) for e in entries if ldv.reason(e))
    assert sorted(refused) == [
        ("receive_events:add_note", "plan-not-found"),
        ("receive_events:record_progress", "acting-for-required"),
        ("receive_events:record_progress", "plan-not-found"),
    ]
    assert set(refused.values()) == {2}, "one line for each of the household's two members"


def _cloudevent(plan_id: str, id_: str, type_: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": id_,
        "source": "urn:politie:bvh",
        "type": type_,
        "subject": plan_id,
        "datacontenttype": "application/json",
        "data": data,
    }
