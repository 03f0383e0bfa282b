"""Lines written before the LDV field names of today still read, converted, over HTTP.

The store keeps what was written (it is append-only); the processing log and the art. 15 export
give old lines in today's shape: `operation_id`, millisecond timestamps, `status_code`, an
activity URI under the register version of the time, and no attribute outside dpl.core and
dpl.nen7513.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from eenplan.api.bootstrap import build
from eenplan.api.settings import Settings
from tests import ldv
from tests.e2e.conftest import Server, token_factory
from tests.e2e.test_ldv_conformance import assert_conforms
from tests.factories import make_world

INSERT = (
    "INSERT INTO processing_log (trace_id, span_id, parent_span_id, name, start_time, end_time, "
    "status_code, plan_id, activity_id, data_subject_id, record) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)


def old_line(plan_id: str, subject: str) -> dict[str, Any]:
    """A refused read under break the glass, as the processing log wrote it before (commit e729cd7)."""
    return {
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "span_id": "00f067aa0ba902b7",
        "parent_span_id": "a3ce929d0e0e4736",
        "name": "read_plan",
        "start_time": "2026-11-30T10:15:00.123456+00:00",
        "end_time": "2026-11-30T10:15:00.234567+00:00",
        "status": {"code": "UNSET", "message": "refused: 404 plan-not-found"},
        "foreign_operation": {
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "trace_id": "0af7651916cd43dd8448eb211c80319c",
            "operation_id": "b7ad6b7169203331",
        },
        "resource": {
            "service.name": "eenplan",
            "service.version": "1.0.0",
            "nen7513.AuditSourceId": "eenplan",
            "nen7513.AuditSourceTypeCode": "application-server",
        },
        "attributes": {
            "dpl.core.processing_activity_id": "plan_coordination",
            "dpl.core.data_subject_id": subject,
            "dpl.core.data_subject_id_type": "eenplan.member-pseudonym.hmac-sha256",
            "dpl.nen7513.eventTypeCode": "read_plan",
            "dpl.nen7513.users": [
                {
                    "userID": "pro-x",
                    "organisationID": "org-x",
                    "roleIDCode": ["professional"],
                    "userIsRequestor": True,
                    "purposeOfUse": "plan_coordination",
                }
            ],
            "eenplan.plan_id": plan_id,
            "eenplan.policy_version": "2026.1",
            "eenplan.policy_sha256": "ab" * 32,
            "eenplan.relation": "emergency",
            "dpl.nen7513.eventOutcomeIndicator": "4",
            "http.response.status_code": 404,
            "error.type": "plan-not-found",
        },
    }


def test_a_line_of_the_old_shape_reads_in_todays_shape_in_the_log_and_the_export(settings: Settings) -> None:
    container = build(settings)
    try:
        world = make_world(container.eenplan, kinds=("welfare",))
        opened = world.open(world.pros[world.orgs["welfare"]][0])
        member_id = opened.member_ids[0]
        subject = container.privacy.log.subject_id(world.tenant, member_id)
        row = (
            "4bf92f3577b34da6a3ce929d0e0e4736",
            "00f067aa0ba902b7",
            "a3ce929d0e0e4736",
            "read_plan",
            "2026-11-30T10:15:00.123456+00:00",
            "2026-11-30T10:15:00.234567+00:00",
            "UNSET",
            opened.plan_id,
            "plan_coordination",
            subject,
            json.dumps(old_line(opened.plan_id, subject)),
        )
        container.privacy.store.execute(INSERT, row)
    finally:
        container.close()

    server = Server(settings)
    try:
        officer = token_factory(settings)(world.officer, world.municipality, "privacy_officer")
        headers = {"Authorization": f"Bearer {officer}"}
        with httpx.Client(base_url=server.url, timeout=30) as client:
            log = client.get(f"/plans/{opened.plan_id}/processing-log", headers=headers)
            export = client.get(f"/subjects/{member_id}/export", headers=headers)
            (line,) = [
                e for e in log.json()["entries"] if e["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
            ]
            assert [e for e in export.json()["processing_log"] if e["id"] == line["id"]] == [line]
            register = client.get("/privacy/activities", headers=headers).json()
    finally:
        server.stop()

    assert_conforms(line)
    assert (line["operation_id"], line["parent_operation_id"]) == ("00f067aa0ba902b7", "a3ce929d0e0e4736")
    assert (line["start_time"], line["end_time"]) == ("2026-11-30T10:15:00.123Z", "2026-11-30T10:15:00.234Z")
    assert line["status_code"] == "STATUS_CODE_ERROR"
    assert ldv.control(line) == {
        "controle": "response",
        "result": "refused",
        "status": 404,
        "reason": "plan-not-found",
    }
    # The register of the time (2026.1); it is the current one too, so the same URI.
    uri = line["attributes"]["dpl.core.processing_activity_id"]
    assert uri.endswith("/privacy/activities/2026.1/plan_coordination")
    assert uri in [v["uri"] + "/plan_coordination" for v in register["versions"]]
    assert ldv.record_id(line) == opened.plan_id
    assert line["attributes"]["dpl.nen7513.autorisatieProtocol"] == "break_the_glass"
    (user,) = line["attributes"]["dpl.nen7513.users"]
    assert user["alternateUserID"] == "org-x/pro-x" and "organisationID" not in user
    assert line["foreign_operation"]["operation_id"] == "b7ad6b7169203331"
    assert line["resource"]["attributes"]["nen7513.AuditSourceTypeCode"] == "4"
