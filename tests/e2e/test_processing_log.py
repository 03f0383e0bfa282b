"""The processing log over HTTP: every route that touches personal data writes LDV lines.

The OpenAPI walk makes a new route fail until it declares its processing
activity (and so is logged by `api.http.processing.LoggedRoute`); the calls below
then show the declared routes really write one line per data subject, linked
to the caller's traceparent, before the response arrives.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests import ldv
from tests.e2e.conftest import Server, TokenFactory
from tests.e2e.privacy_world import open_plan, setup

# Routes that hold no personal data of households: service, directory, the welfare offer, hash-chain
# verification, the privacy registers (the emergency review queue under /privacy/ declares its own
# activity, as its reasons are the households'), and the change feed (plan ids, versions and event types only;
# clients re-read through the logged read path), and anonymised aggregates (monitoring, waiting
# times). Every other route must declare a processing activity.
NOT_PERSONAL = (
    "/changes",
    "/monitoring",
    "/help-requests/waiting-times",
    "/health",
    "/ready",
    "/metrics",
    "/organisations",
    "/teams",
    "/professionals",
    "/systems",
    "/activities",
    "/audit/verify",
    "/privacy/",
)
ACTIVITIES = {
    *("intake", "plan_coordination", "monitoring", "audit", "export", "erasure"),
    *("emergency_access", "emergency_review"),
}


def personal_operations(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in openapi["paths"].items()
        for method, operation in item.items()
        if not path.startswith(NOT_PERSONAL) or "{plan_id}" in path or "{member_id}" in path
    ]


def test_every_route_touching_personal_data_declares_a_processing_activity(
    shared_client: httpx.Client,
) -> None:
    operations = personal_operations(shared_client.get("/openapi.json").json())
    assert operations, "the walk found no routes"
    undeclared = [f"{m} {p}" for m, p, op in operations if op.get("x-processing-activity") not in ACTIVITIES]
    assert undeclared == []


def test_reads_and_changes_write_one_line_per_data_subject_linked_to_the_callers_trace(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "social_work")
    opened = open_plan(world, "social_work")
    plan_id = opened["plan_id"]
    world.command(
        "social_work",
        plan_id,
        type="add_member",
        member={"given_name": "Bo", "family_name": "Jansen", "birth_date": "2015-01-01", "role": "child"},
    )
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    headers = {**world.auth("social_work"), "traceparent": traceparent}
    assert shared_client.get(f"/plans/{plan_id}", headers=headers).status_code == 200
    assert (
        shared_client.get(f"/plans/{plan_id}/history", headers=world.auth("social_work")).status_code == 200
    )

    entries = shared_client.get(f"/plans/{plan_id}/processing-log", headers=world.officer("auditor")).json()[
        "entries"
    ]
    by_name: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        by_name.setdefault(entry["name"].split(":")[0], []).append(entry)
    assert len(by_name["create_plan"]) == 1 and len(by_name["run_command"]) == 2
    read = by_name["read_plan"]
    assert len(read) == 2 and len({e["attributes"]["dpl.core.data_subject_id"] for e in read}) == 2
    assert read[0]["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert read[0]["foreign_operation"]["operation_id"] == "00f067aa0ba902b7"
    assert ldv.activity(read[0]) == "plan_coordination"
    register = shared_client.get("/privacy/activities", headers=world.officer()).json()["activities"]
    assert (
        set(register) == ACTIVITIES
        and read[0]["resource"]["attributes"]["nen7513.AuditSourceId"] == "eenplan"
    )
    assert read[0]["attributes"]["dpl.nen7513.users"][0]["userID"] == world.pros["social_work"]
    assert opened["member_ids"][0] not in str(entries) and "Jansen" not in str(entries)

    child = shared_client.get(f"/plans/{plan_id}", headers=world.auth("social_work")).json()["members"][1][
        "member_id"
    ]
    world.command("social_work", plan_id, type="remove_member", member_id=child, reason="verhuisd")
    entries = shared_client.get(f"/plans/{plan_id}/processing-log", headers=world.officer()).json()["entries"]
    removal = [e for e in entries if e["name"] == "run_command:remove_member"]
    assert len(removal) == 2, "the removed member is a data subject of the removal too"


def test_the_processing_log_cannot_be_changed_or_deleted_through_the_api(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world = setup(shared_client, shared_token, "social_work")
    plan_id = open_plan(world, "social_work")["plan_id"]
    path = f"/plans/{plan_id}/processing-log"
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        assert shared_client.request(method, path, headers=world.officer()).status_code == 405
    assert shared_client.get(path, headers=world.auth("social_work")).status_code == 403


def test_export_and_erasure_over_http_give_the_subjects_data_then_a_receipt_without_it(
    shared_client: httpx.Client, shared_token: TokenFactory, shared_server: Server
) -> None:
    world = setup(shared_client, shared_token, "social_work")
    opened = open_plan(world, "social_work")
    member_id = opened["member_ids"][0]
    world.command(
        "social_work",
        opened["plan_id"],
        type="correct_member",
        member_id=member_id,
        family_name="Jansen-de Vries",
        reason="typfout",
    )
    export = shared_client.get(f"/subjects/{member_id}/export", headers=world.officer()).json()
    assert export["plan"]["members"][0]["family_name"] == "Jansen-de Vries"
    corrected = [e for e in export["history"] if e["type"] == "MemberCorrected"]
    assert corrected[0]["data"]["corrections"]["family_name"] == "Jansen-de Vries"
    assert export["processing_log"], "the export carries the subject's processing log"

    body = {"reason": "verzoek betrokkene", "legal_ground": "avg_art_17"}
    receipt = shared_client.post(f"/subjects/{member_id}/erasure", json=body, headers=world.officer())
    assert receipt.status_code == 200, receipt.text
    assert "Jansen" not in receipt.text and member_id not in receipt.text
    view = shared_client.get(f"/plans/{opened['plan_id']}", headers=world.auth("social_work")).json()
    assert view["members"][0]["family_name"] == "[erased]"
    assert (
        shared_client.post(
            f"/subjects/{member_id}/erasure", json=body, headers=world.auth("social_work")
        ).status_code
        == 403
    )
    logged = shared_server.log.read_text()
    assert "/subjects/{member_id}/export" in logged and member_id not in logged and "Jansen" not in logged


def test_concurrent_reads_each_find_their_own_lines_logged_when_their_answer_arrives(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    """Lines of concurrent requests are committed together (api/store/group_commit.py), yet each
    response comes only once its own lines are in the log."""
    world = setup(shared_client, shared_token, "social_work")
    plan_id = open_plan(world, "social_work")["plan_id"]
    officer = world.officer("auditor")

    def read_then_look(i: int) -> bool:
        trace_id = f"{i + 1:032x}"
        headers = {**world.auth("social_work"), "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"}
        with httpx.Client(base_url=str(shared_client.base_url), timeout=30) as client:
            assert client.get(f"/plans/{plan_id}", headers=headers).status_code == 200
            entries = client.get(f"/plans/{plan_id}/processing-log", headers=officer).json()["entries"]
        return any(e["trace_id"] == trace_id and e["name"] == "read_plan" for e in entries)

    with ThreadPoolExecutor(12) as pool:
        found = list(pool.map(read_then_look, range(24)))
    assert all(found), f"{found.count(False)} reads answered before their lines were in the log"
