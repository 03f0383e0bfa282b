"""The processing log (Logboek Dataverwerkingen, with the NEN 7513 extension).

Every read or change of personal data writes one line per data subject: an
OpenTelemetry-span-shaped record with the LDV core attributes
(`dpl.core.processing_activity_id`, `dpl.core.data_subject_id` — a keyed hash,
never the member id — and `dpl.core.data_subject_id_type`) and the NEN 7513
user fields (`dpl.nen7513.users`: the requesting user, its organisation and
roles, and for a system client the responsible professional). No sampling.
Lines go to the append-only `processing_log` table before the response leaves.

Read paths note what they processed with `note_processing`; the API's logging
route collects the notes of one request and writes them (api/processing.py).

Refused and failed attempts are logged too (NEN 7513 asks for unsuccessful
attempts), with their outcome (`privacy.outcome`): a route names the plan it is
about to act on (`note_attempt`) when its path does not, and the logging route
writes the attempt's lines if the request is refused or fails.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opentelemetry import metrics

from eenplan.domain.context import Actor
from eenplan.privacy.outcome import SUCCESS, Outcome
from eenplan.privacy.policy import Policy, activities
from eenplan.privacy.store import PrivacyStore

SUBJECT_ID_TYPE = "eenplan.member-pseudonym.hmac-sha256"
# LDV `resource`, with the NEN 7513 source-system fields in the `nen7513` namespace.
RESOURCE = {
    "service.name": "eenplan",
    "service.version": "1.0.0",
    "nen7513.AuditSourceId": "eenplan",
    "nen7513.AuditSourceTypeCode": "application-server",
}


@dataclass
class Noted:
    """One plan (and, if known, its members) that a request processed, or tried to."""

    actor: Actor
    plan_id: str
    member_ids: list[str] | None = None
    operation: str | None = None
    relation: str | None = None
    activity: str | None = None  # overrides the route's activity, e.g. an auditor's read is "audit"
    also: list[str] = field(default_factory=list)  # subjects besides the plan's current members
    # Set with member_ids when both are known (records outside a plan, listed or loaded plans): no lookup.
    tenant: str | None = None
    # A part of the request that was refused in-band (one event of a batch): logged with this outcome.
    outcome: Outcome | None = None
    # Named before acting: logged only if the request then fails (the attempt is what is logged).
    attempt: bool = False


# The explicit "nothing personal was processed" note: it writes no line.
NOTHING = Noted(Actor(sub="", org=""), plan_id="", member_ids=[])

_noted: ContextVar[list[Noted] | None] = ContextVar("eenplan_processing_noted", default=None)


def begin() -> list[Noted]:
    notes: list[Noted] = []
    _noted.set(notes)
    return notes


def note_nothing() -> None:
    """Say explicitly that this request processed no personal data after all (e.g. an empty page)."""
    notes = _noted.get()
    if notes is not None:
        notes.append(NOTHING)


def note_record(actor: Actor, tenant: str, record_id: str, operation: str | None = None) -> None:
    """Record that personal data of a record outside a plan (a help request, a signal) was processed.

    The record id stands for its data subject: the person behind it is not a household member.
    """
    notes = _noted.get()
    if notes is not None:
        notes.append(Noted(actor, record_id, [], operation=operation, also=[record_id], tenant=tenant))


def note_processing(actor: Actor, plan_id: str, member_ids: list[str] | None = None, **extra: Any) -> None:
    """Record, for this request, that personal data of this plan was read or changed."""
    notes = _noted.get()
    if notes is not None:
        notes.append(Noted(actor, str(plan_id), member_ids, **extra))


def note_attempt(actor: Actor, plan_id: str, operation: str | None = None) -> None:
    """Name the plan a request is about to act on when its path does not: should the request be
    refused or fail, the attempt is logged for this plan's members."""
    note_processing(actor, plan_id, operation=operation, attempt=True)


def note_refused(actor: Actor, plan_id: str, outcome: Outcome, operation: str | None = None) -> None:
    """Record a refusal inside a request that as a whole succeeds (one event of a batch)."""
    note_processing(actor, plan_id, operation=operation, outcome=outcome)


@dataclass(frozen=True)
class Operation:
    """The request-level facts every line of one operation shares."""

    trace_id: str
    parent_span_id: str | None
    name: str
    activity_id: str
    started: datetime
    ended: datetime
    foreign_operation: str | None = None
    outcome: Outcome = SUCCESS
    extra: dict[str, Any] = field(default_factory=dict)


# The same instrument as api.telemetry.metrics.processing_log_writes (one instrument per name and meter).
_WRITES = metrics.get_meter("eenplan").create_counter(
    "eenplan.processing_log.writes",
    unit="{entry}",
    description="Entries written to the processing log (Logboek Dataverwerkingen)",
)


class ProcessingLog:
    def __init__(self, store: PrivacyStore, pseudonym_key: bytes, policy: Policy) -> None:
        self.store = store
        self._key = pseudonym_key
        self.policy = policy

    def subject_id(self, tenant: str, member_id: str) -> str:
        """Pseudonymous, stable per member: the same person links across lines, unnamed."""
        return hmac.new(self._key, f"{tenant}:{member_id}".encode(), hashlib.sha256).hexdigest()

    def write(self, op: Operation, actor: Actor, tenant: str, plan_id: str, member_ids: list[str]) -> int:
        return self.write_all([(op, actor, tenant, plan_id, member_ids)])

    def write_all(self, entries: list[tuple[Operation, Actor, str, str, list[str]]]) -> int:
        """Lines for several plans or records of one request, in one statement: a page of fifty
        plans is one round trip, not fifty."""
        rows = []
        for op, actor, tenant, plan_id, member_ids in entries:
            if op.activity_id not in activities():
                raise ValueError(f"unknown processing activity {op.activity_id}")
            rows += [
                self._row(op, actor, plan_id, self.subject_id(tenant, m)) for m in sorted(set(member_ids))
            ]
            _WRITES.add(len(set(member_ids)), {"activity": op.activity_id})  # a small fixed set of ids
        if not rows:
            return 0
        self.store.execute_many(
            "INSERT INTO processing_log (trace_id, span_id, parent_span_id, name, start_time, end_time, "
            "status_code, plan_id, activity_id, data_subject_id, record) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        return len(rows)

    def _row(self, op: Operation, actor: Actor, plan_id: str, subject: str) -> tuple[Any, ...]:
        record = self.line(op, actor, plan_id, subject)
        return (
            op.trace_id,
            record["span_id"],
            op.parent_span_id,
            op.name,
            record["start_time"],
            record["end_time"],
            op.outcome.ldv_status,
            plan_id,
            op.activity_id,
            subject,
            json.dumps(record, sort_keys=True),
        )

    def line(self, op: Operation, actor: Actor, plan_id: str, subject: str) -> dict[str, Any]:
        return {
            "trace_id": op.trace_id,
            "span_id": os.urandom(8).hex(),
            "parent_span_id": op.parent_span_id,
            "name": op.name,
            "start_time": op.started.isoformat(),
            "end_time": op.ended.isoformat(),
            "status": op.outcome.status_record(),
            "foreign_operation": _foreign(op.foreign_operation),
            "resource": RESOURCE,
            "attributes": {
                "dpl.core.processing_activity_id": op.activity_id,
                "dpl.core.data_subject_id": subject,
                "dpl.core.data_subject_id_type": SUBJECT_ID_TYPE,
                "dpl.nen7513.eventTypeCode": op.name,
                "dpl.nen7513.users": _users(actor, op.activity_id),
                "eenplan.plan_id": plan_id,
                "eenplan.policy_version": self.policy.version,
                "eenplan.policy_sha256": self.policy.sha256,
                **op.outcome.attributes(),
                **op.extra,
            },
        }

    def for_plan(self, plan_id: str, limit: int = 1000, after: int = 0) -> list[dict[str, Any]]:
        rows = self.store.query(
            "SELECT id, record FROM processing_log WHERE plan_id = ? AND id > ? ORDER BY id LIMIT ?",
            (plan_id, after, limit),
        )
        return [{"id": r["id"], **json.loads(r["record"])} for r in rows]

    def for_subject(self, subject: str) -> list[dict[str, Any]]:
        rows = self.store.query(
            "SELECT id, record FROM processing_log WHERE data_subject_id = ? ORDER BY id", (subject,)
        )
        return [{"id": r["id"], **json.loads(r["record"])} for r in rows]


def _users(actor: Actor, activity_id: str) -> list[dict[str, Any]]:
    """NEN 7513 users: who asked (user, organisation, roles) and, for a system, who answers for it."""
    requestor = {
        # An unauthenticated attempt (401) has no user: null, not a made-up id.
        "userID": actor.sub or None,
        "organisationID": actor.org or None,
        "roleIDCode": sorted(actor.roles),
        "userIsRequestor": True,
        "purposeOfUse": activity_id,
    }
    if actor.acting_for is None:
        return [requestor]
    responsible = {
        "userID": actor.acting_for,
        "organisationID": actor.org,
        "roleIDCode": ["responsible_user"],
        "userIsRequestor": False,
        "purposeOfUse": activity_id,
    }
    return [requestor, responsible]


def _foreign(traceparent: str | None) -> dict[str, str] | None:
    """An incoming W3C traceparent: the caller's trace and operation (LDV foreign_operation)."""
    if not traceparent:
        return None
    parts = traceparent.split("-")
    if len(parts) < 4:
        return None
    return {"traceparent": traceparent, "trace_id": parts[1], "operation_id": parts[2]}


def now() -> datetime:
    return datetime.now(UTC)
