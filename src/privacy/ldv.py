"""One processing-log line, in the shape of Logboek Dataverwerkingen and its NEN 7513 extension.

The fields are the ones the Logboek component's interface names (logboek-dataverwerkingen,
sections/03-specificaties/02-component-logboek.md): `trace_id` (16 bytes) and `operation_id`
(8 bytes) as lowercase hex, as W3C Trace Context writes them; `parent_operation_id`; `name`;
`start_time` and `end_time`, timestamps to the millisecond (RFC 3339 in UTC, as protobuf's
Timestamp is written in JSON); `status_code` (STATUS_CODE_UNKNOWN, _OK, _ERROR); `foreign_operation`
(`trace_id`, `operation_id`, `entity`: the URI of the other party); `resource` with `attributes`;
and `attributes`, only in the namespaces the standards adopted: `dpl.core` and the extension's
`dpl.nen7513` (with `nen7513.*` in `resource`). docs/privacy.md maps it field by field.

Lines written before this shape (with `span_id`, an ISO `start_time` with microseconds, a `status`
object, and `eenplan.*`, `http.*` and `error.type` attributes) are converted on read by `upgrade`:
the store keeps what was written, readers get one shape.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from eenplan.domain.context import Actor
from eenplan.privacy.register import LEGACY_VERSION

SUBJECT_ID_TYPE = "eenplan.member-pseudonym.hmac-sha256"
STATUS = {"OK": "STATUS_CODE_OK", "ERROR": "STATUS_CODE_ERROR", "UNKNOWN": "STATUS_CODE_UNKNOWN"}
# NEN 7513 (after DICOM audit messages): AuditSourceTypeCode 4 is an application server process;
# participant type 1 a person in role 1 (the patient: here the data subject), type 2 a system
# object in role 3 (a report: the plan or record the processing was about).
APPLICATION_SERVER = "4"
PERSON, SUBJECT_ROLE, SYSTEM_OBJECT, RECORD_ROLE = "1", "1", "2", "3"
REPLAY = "replay"
UNKNOWN_PARTY = "urn:eenplan:unknown-party"  # `entity` is required; a 401's caller named no party


def _version() -> str:
    try:
        return metadata.version("eenplan")
    except metadata.PackageNotFoundError:  # run from a source tree that was not installed
        return "0"


SERVICE_VERSION = _version()


@dataclass(frozen=True)
class Context:
    """What a line needs besides the operation: where URIs point, and the policy in force."""

    base_url: str
    policy_version: str
    policy_sha256: str


def timestamp(moment: datetime) -> str:
    """LDV `timestamp (ms)`: UTC, to the millisecond, `Z`."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def operation_id() -> str:
    """A span id for one line: 64 random bits, never zero (W3C). Unique, not secret: taken from
    `random`, reseeded in each forked worker, because `os.urandom` gives up the GIL, and a page of
    fifty plans writes a line per person, each then waiting for the GIL behind busy threads."""
    return f"{random.getrandbits(64) or 1:016x}"


def resource(source: str, tenant: str | None) -> dict[str, Any]:
    """LDV `resource.attributes`: the component (free to the organisation) and NEN 7513 bronsysteem."""
    attributes: dict[str, Any] = {
        "service.name": "eenplan",
        "service.version": SERVICE_VERSION,
        "nen7513.AuditSourceId": source,
        "nen7513.AuditSourceTypeCode": APPLICATION_SERVER,
    }
    if tenant:  # the municipality that answers for the processing (verwerkingsverantwoordelijke)
        attributes["nen7513.AuditEnterpriseSiteID"] = tenant
    return {"attributes": attributes}


def foreign(traceparent: str | dict[str, str] | None, entity: str) -> dict[str, str] | None:
    """`foreign_operation` from a caller's W3C traceparent (or one already split, with its entity)."""
    if isinstance(traceparent, dict):
        found = {"trace_id": traceparent["trace_id"], "operation_id": traceparent["operation_id"]}
        return {**found, "entity": traceparent.get("entity") or entity}
    parts = (traceparent or "").split("-")
    if len(parts) < 4 or len(parts[1]) != 32 or len(parts[2]) != 16:
        return None
    return {"trace_id": parts[1], "operation_id": parts[2], "entity": entity}


def users(actor: Actor, purpose: str, operator: str | None = None) -> list[dict[str, Any]]:
    """NEN 7513 users: who asked and, for a partner system or the CLI, who it acted for.

    `alternateUserID` is the id qualified by the organisation (`org/sub`): a `sub` is unique
    only within its organisation. A CLI command's requestor is its operator (`cli/<operator>`);
    the actor it recorded the change for follows, not as the requestor.
    """
    if operator is not None:
        ran = {
            "userID": operator,
            "alternateUserID": f"cli/{operator}",
            "roleIDCode": ["operator"],
            "userIsRequestor": True,
            "purposeOfUse": purpose,
        }
        return [ran, *({**user, "userIsRequestor": False} for user in users(actor, purpose))]
    requestor = {
        "userID": actor.sub or None,  # an unauthenticated attempt (401) has no user: null
        "alternateUserID": f"{actor.org}/{actor.sub}" if actor.sub and actor.org else None,
        "roleIDCode": sorted(actor.roles),
        "userIsRequestor": True,
        "purposeOfUse": purpose,
    }
    if actor.acting_for is None:
        return [requestor]
    responsible = {
        "userID": actor.acting_for,
        "alternateUserID": f"{actor.org}/{actor.acting_for}",
        "roleIDCode": ["responsible_user"],
        "userIsRequestor": False,
        "purposeOfUse": purpose,
    }
    return [requestor, responsible]


def participants(subject: str, record_id: str, ctx: Context) -> list[dict[str, Any]]:
    """NEN 7513 participant objects: the data subject (pseudonym) and the record processed."""
    kind, _, _ = record_id.rpartition(":")
    return [
        {
            "participantObjectTypeCode": PERSON,
            "participantObjectTypeCodeRole": SUBJECT_ROLE,
            "participantObjectIDTypeCode": SUBJECT_ID_TYPE,
            "participantObjectID": subject,
        },
        {
            "participantObjectTypeCode": SYSTEM_OBJECT,
            "participantObjectTypeCodeRole": RECORD_ROLE,
            "participantObjectIDTypeCode": f"eenplan:{kind or 'plan'}",
            "participantObjectID": record_id,
            # The visibility policy under which the record was shown or changed.
            "participantObjectPermissionPolicySet": {
                "policy": "eenplan-privacy-policy",
                "version": ctx.policy_version,
                "sha256": ctx.policy_sha256,
            },
        },
    ]


def controls(status: int, result: str, reason: str, replay: bool) -> list[dict[str, Any]]:
    """NEN 7513 `controles`: the checks the request passed through and how they ended."""
    answer: dict[str, Any] = {"controle": "response", "result": result, "status": status}
    if reason:
        answer["reason"] = reason  # the problem type the caller got, never its detail text
    return [answer, *([{"controle": "idempotency", "result": REPLAY}] if replay else [])]


def protocol(relation: str | None) -> str:
    """NEN 7513 `autorisatieProtocol`: break the glass, or the visibility and write policies."""
    return "break_the_glass" if relation == "emergency" else "policy"


def organisation_uri(base_url: str, org: str) -> str:
    """The calling party of a foreign operation; an unauthenticated caller's is not known."""
    return f"{base_url}/organisations/{org}" if org else UNKNOWN_PARTY


# --- lines written before this shape -------------------------------------------------------------

OLD_STATUS = {"OK": "STATUS_CODE_OK", "ERROR": "STATUS_CODE_ERROR", "UNSET": "STATUS_CODE_ERROR"}


def upgrade(record: dict[str, Any], activity_uri: Callable[[str, str], str], ctx: Context) -> dict[str, Any]:
    """A line as written before LDV's current field names, in today's shape (else unchanged).

    `activity_uri(id, version)` gives the register URI of a bare activity id; such lines were
    written under register version `privacy.register.LEGACY_VERSION`.
    """
    if "span_id" not in record:
        return record
    old = dict(record.get("attributes") or {})
    users_ = [_old_user(u) for u in old.get("dpl.nen7513.users") or []]
    org = next((u["alternateUserID"].split("/")[0] for u in users_ if u.get("alternateUserID")), "")
    status = record.get("status") or {}
    code = status.get("code", "UNKNOWN")
    line: dict[str, Any] = {
        "trace_id": record.get("trace_id"),
        "operation_id": record["span_id"],
        "name": record.get("name"),
        "start_time": _old_time(record.get("start_time")),
        "end_time": _old_time(record.get("end_time")),
        "status_code": OLD_STATUS.get(code, "STATUS_CODE_UNKNOWN"),
        "resource": _old_resource(record.get("resource") or {}),
        "attributes": _old_attributes(old, users_, activity_uri, ctx),
    }
    if record.get("parent_span_id"):
        line["parent_operation_id"] = record["parent_span_id"]
    old_foreign = record.get("foreign_operation")
    if old_foreign:
        line["foreign_operation"] = foreign(
            old_foreign.get("traceparent"), organisation_uri(ctx.base_url, org)
        )
    return {k: v for k, v in line.items() if v is not None}


def _old_attributes(
    old: dict[str, Any], users_: list[dict[str, Any]], activity_uri: Callable[[str, str], str], ctx: Context
) -> dict[str, Any]:
    activity = str(old.get("dpl.core.processing_activity_id", ""))
    uri = activity if "/" in activity else activity_uri(activity, LEGACY_VERSION)
    policy = Context(
        ctx.base_url, old.get("eenplan.policy_version", ""), old.get("eenplan.policy_sha256", "")
    )
    subject = str(old.get("dpl.core.data_subject_id", ""))
    status = int(old.get("http.response.status_code") or 0)
    indicator = str(old.get("dpl.nen7513.eventOutcomeIndicator"))
    outcome = {"0": "ok", "4": "refused", "8": "failed"}.get(indicator, "ok")
    attributes = {
        "dpl.core.processing_activity_id": uri,
        "dpl.core.data_subject_id": subject,
        "dpl.core.data_subject_id_type": old.get("dpl.core.data_subject_id_type", SUBJECT_ID_TYPE),
        "dpl.nen7513.eventTypeCode": old.get("dpl.nen7513.eventTypeCode"),
        "dpl.nen7513.users": [{**u, "purposeOfUse": uri} for u in users_],
        "dpl.nen7513.participants": participants(subject, str(old.get("eenplan.plan_id", "")), policy),
        "dpl.nen7513.autorisatieProtocol": protocol(old.get("eenplan.relation")),
        "dpl.nen7513.controles": controls(status, outcome, str(old.get("error.type") or ""), replay=False),
    }
    return attributes


def _old_user(user: dict[str, Any]) -> dict[str, Any]:
    org, sub = user.get("organisationID"), user.get("userID")
    kept = {k: v for k, v in user.items() if k != "organisationID"}
    return {**kept, "alternateUserID": f"{org}/{sub}" if org and sub else None}


def _old_resource(old: dict[str, Any]) -> dict[str, Any]:
    if "attributes" in old:
        return old
    attributes = dict(old)
    if attributes.get("nen7513.AuditSourceTypeCode") == "application-server":
        attributes["nen7513.AuditSourceTypeCode"] = APPLICATION_SERVER
    return {"attributes": attributes}


def _old_time(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return timestamp(datetime.fromisoformat(value))
    except ValueError:
        return value
