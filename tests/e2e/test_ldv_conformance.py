"""Processing-log lines as Logboek Dataverwerkingen and its NEN 7513 extension specify them, over HTTP.

The fields and types of the Logboek component's interface, activity ids that resolve in the
versioned register eenplan serves, `foreign_operation` from a caller's trace context or a
CloudEvent's, the NEN 7513 fields that apply, no attribute outside the adopted namespaces, and an
idempotent repeat logged as a replay.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx

from eenplan.api.settings import Settings
from tests import ldv
from tests.e2e.conftest import TokenFactory
from tests.e2e.partner_world import auth, cloudevent, police_system_on_plan, seed
from tests.e2e.privacy_world import HttpWorld, open_plan, setup

FIELDS = {"trace_id", "operation_id", "parent_operation_id", "name", "start_time", "end_time"}
FIELDS |= {"status_code", "foreign_operation", "resource", "attributes"}
STATUS_CODES = {"STATUS_CODE_UNKNOWN", "STATUS_CODE_OK", "STATUS_CODE_ERROR"}
MILLISECONDS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
HEX = {16: re.compile(r"^[0-9a-f]{32}$"), 8: re.compile(r"^[0-9a-f]{16}$")}
# The extension's namespace attributes (specificatie.md, "Namespace attributes") and dpl.core's.
NEN7513 = {"eventTypeCode", "users", "participants", "participantSegments", "autorisatieProtocol"}
NEN7513 |= {"behandelrelatieProtocol", "toestemmingsProfiel", "controles"}
CORE = {"processing_activity_id", "data_subject_id", "data_subject_id_type"}
USER_FIELDS = {"userID", "alternateUserID", "userName", "userIsRequestor", "roleIDCode", "purposeOfUse"}
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def _log(world: HttpWorld, plan_id: str) -> list[dict[str, Any]]:
    response = world.client.get(f"/plans/{plan_id}/processing-log", headers=world.officer())
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def assert_conforms(line: dict[str, Any]) -> None:
    """One line against the interface of the Logboek component and the NEN 7513 extension."""
    assert set(line) - {"id"} <= FIELDS, set(line) - FIELDS
    assert HEX[16].match(line["trace_id"]) and HEX[8].match(line["operation_id"])
    assert "parent_operation_id" not in line or HEX[8].match(line["parent_operation_id"])
    assert MILLISECONDS.match(line["start_time"]) and MILLISECONDS.match(line["end_time"])
    assert line["start_time"] <= line["end_time"]
    assert line["status_code"] in STATUS_CODES
    for key in line["attributes"]:
        namespace, _, name = key.rpartition(".")
        assert (namespace, name in CORE) == ("dpl.core", True) or (namespace, name in NEN7513) == (
            "dpl.nen7513",
            True,
        ), f"{key} is in no adopted namespace"
    for key in line["resource"]["attributes"]:
        assert key.startswith(("nen7513.", "service.")), key
    for user in line["attributes"]["dpl.nen7513.users"]:
        assert set(user) <= USER_FIELDS, user


def test_lines_have_the_fields_and_types_of_the_logboek_interface_and_only_adopted_attributes(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "social_work", "housing")
    opened = open_plan(world, "social_work")
    plan_id = opened["plan_id"]
    read = shared_client.get(
        f"/plans/{plan_id}", headers={**world.auth("social_work"), "traceparent": TRACEPARENT}
    )
    assert read.status_code == 200
    assert shared_client.get(f"/plans/{plan_id}", headers=world.auth("housing")).status_code == 404

    entries = _log(world, plan_id)
    for line in entries:
        assert_conforms(line)
    (traced,) = [e for e in entries if e["name"] == "read_plan" and e["status_code"] == "STATUS_CODE_OK"]
    (refused,) = [e for e in entries if e["status_code"] == "STATUS_CODE_ERROR"]
    # The caller's trace context becomes the foreign operation; the entity is the calling organisation.
    foreign = traced["foreign_operation"]
    assert (foreign["trace_id"], foreign["operation_id"]) == (
        "0af7651916cd43dd8448eb211c80319c",
        "b7ad6b7169203331",
    )
    assert foreign["entity"].endswith(f"/organisations/{world.orgs['social_work']}")
    assert traced["trace_id"] == read.headers["traceparent"].split("-")[1]
    assert traced["parent_operation_id"] == read.headers["traceparent"].split("-")[2]
    # NEN 7513: the source system with the municipality answering for it, and the participants.
    resource = traced["resource"]["attributes"]
    assert (
        resource["nen7513.AuditEnterpriseSiteID"] == "GM0687"
        and resource["nen7513.AuditSourceId"] == "eenplan"
    )
    assert resource["nen7513.AuditSourceTypeCode"] == "4"
    subject, record = traced["attributes"]["dpl.nen7513.participants"]
    assert subject["participantObjectID"] == traced["attributes"]["dpl.core.data_subject_id"]
    assert (subject["participantObjectTypeCode"], subject["participantObjectTypeCodeRole"]) == ("1", "1")
    assert (record["participantObjectIDTypeCode"], record["participantObjectID"]) == ("eenplan:plan", plan_id)
    assert record["participantObjectPermissionPolicySet"]["version"]
    assert traced["attributes"]["dpl.nen7513.autorisatieProtocol"] == "policy"
    user = traced["attributes"]["dpl.nen7513.users"][0]
    assert user["alternateUserID"] == f"{world.orgs['social_work']}/{world.pros['social_work']}"
    assert user["purposeOfUse"] == traced["attributes"]["dpl.core.processing_activity_id"]
    assert ldv.control(refused) == {
        "controle": "response",
        "result": "refused",
        "status": 404,
        "reason": "plan-not-found",
    }
    assert opened["member_ids"][0] not in json.dumps(entries)


def test_every_activity_id_is_a_uri_into_a_versioned_register_and_resolves(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "social_work")
    plan_id = open_plan(world, "social_work")["plan_id"]
    entries = _log(world, plan_id)
    register = shared_client.get("/privacy/activities", headers=world.officer())
    assert register.status_code == 200, register.text
    current = register.json()
    assert current["current"] in [v["version"] for v in current["versions"]]
    for uri in {e["attributes"]["dpl.core.processing_activity_id"] for e in entries}:
        parts = urlsplit(uri)
        assert parts.scheme in ("http", "https") and parts.netloc, uri
        assert parts.path.startswith(f"/privacy/activities/{current['current']}/"), uri
        found = shared_client.get(parts.path, headers=world.auth("social_work"))
        assert found.status_code == 200, found.text
        assert found.json()["uri"] == uri and found.json()["version"] == current["current"]
        assert found.json()["name"] and found.json()["legal_bases"]
    version = shared_client.get(urlsplit(current["uri"]).path, headers=world.officer()).json()
    assert version["activities"] == current["activities"] and version["sha256"] == current["sha256"]
    for path in ("/privacy/activities/1999.1", f"/privacy/activities/{current['current']}/fishing"):
        missing = shared_client.get(path, headers=world.officer())
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


def test_an_idempotent_repeat_is_logged_as_a_replay_not_as_a_new_change(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "social_work")
    plan_id = open_plan(world, "social_work")["plan_id"]
    goal = {
        "type": "set_goal",
        "goal_id": str(uuid.uuid4()),
        "life_domain": "finances",
        "description": "rust",
    }
    headers = {**world.auth("social_work"), "Idempotency-Key": str(uuid.uuid4())}
    first = shared_client.post(f"/plans/{plan_id}/commands", json=goal, headers=headers)
    again = shared_client.post(f"/plans/{plan_id}/commands", json=goal, headers=headers)
    assert first.status_code == again.status_code == 200 and again.content == first.content

    names = [e["name"] for e in _log(world, plan_id) if e["name"].startswith("run_command:set_goal")]
    assert names == ["run_command:set_goal", "run_command:set_goal:replay"]
    (replay,) = [e for e in _log(world, plan_id) if e["name"].endswith(":replay")]
    assert ldv.control(replay, "idempotency") == {"controle": "idempotency", "result": "replay"}
    assert replay["status_code"] == "STATUS_CODE_OK"


def test_a_cloudevent_is_the_foreign_operation_and_its_repeat_a_replay(
    shared_client: httpx.Client, shared_settings: Settings, shared_token: TokenFactory
) -> None:
    world = seed(shared_settings)
    plan_id, officer, _, system = police_system_on_plan(shared_client, world, shared_token)
    event = cloudevent(
        plan_id,
        "nl.eenplan.note.added",
        {"category": "justice", "text": "geen incidenten"},
        id_=f"n-{uuid.uuid4().hex[:8]}",
        actingfor=officer,
        traceparent=TRACEPARENT,
    )
    headers = auth(system, **{"content-type": "application/cloudevents+json"})
    for _ in range(2):
        sent = shared_client.post("/events", content=json.dumps(event), headers=headers)
        assert sent.status_code == 200, sent.text

    bearer = shared_token(world.officer, world.municipality, "privacy_officer")
    entries = shared_client.get(f"/plans/{plan_id}/processing-log", headers=auth(bearer)).json()["entries"]
    notes = [e for e in entries if e["name"].startswith("receive_events:add_note")]
    assert sorted({e["name"] for e in notes}) == ["receive_events:add_note", "receive_events:add_note:replay"]
    for line in notes:
        assert_conforms(line)
        assert line["foreign_operation"] == {
            "trace_id": "0af7651916cd43dd8448eb211c80319c",
            "operation_id": "b7ad6b7169203331",
            "entity": "urn:politie:bvh",
        }
        users = line["attributes"]["dpl.nen7513.users"]
        assert [u["userIsRequestor"] for u in users] == [True, False] and users[1]["userID"] == officer
