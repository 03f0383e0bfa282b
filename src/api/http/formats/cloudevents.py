"""CloudEvents 1.0 in: partners report facts, each mapped one-to-one onto a plan command.

Structured mode (`application/cloudevents+json`, one event) and batch mode
(`application/cloudevents-batch+json`, a JSON array). `subject` is the plan id,
`data` the command's fields, and `source` + `id` the idempotency key. A partner
system names the professional it acts for with the `actingfor` extension
attribute, or the `X-Acting-For` header for all events of the request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from eenplan.api.http.problems import ProblemError
from eenplan.domain.commands import PlanCommand

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
MAX_EVENTS = 100
PREFIX = "nl.eenplan."
TYPE_TO_COMMAND: dict[str, str] = {
    f"{PREFIX}{fact}": command
    for fact, command in {
        "member.added": "add_member",
        "member.removed": "remove_member",
        "member.corrected": "correct_member",
        "address.changed": "change_address",
        "regisseur.assigned": "assign_regisseur",
        "handover.proposed": "propose_handover",
        "handover.accepted": "accept_handover",
        "handover.declined": "decline_handover",
        "careteam.joined": "join_care_team",
        "careteam.left": "leave_care_team",
        "proposal.accepted": "accept_proposal",
        "proposal.declined": "decline_proposal",
        "mandate.granted": "grant_mandate",
        "mandate.revoked": "revoke_mandate",
        "goal.set": "set_goal",
        "goal.progressed": "record_progress",
        "goal.closed": "close_goal",
        "agreement.made": "make_agreement",
        "agreement.completed": "complete_agreement",
        "agreement.revised": "revise_agreement",
        "agreement.cancelled": "cancel_agreement",
        "risk.assessed": "assess_risk",
        "consent.recorded": "record_consent",
        "consent.withdrawn": "withdraw_consent",
        "note.added": "add_note",
        "caseconference.held": "hold_case_conference",
        "plan.closed": "close_plan",
        "plan.reopened": "reopen_plan",
    }.items()
}
COMMAND = TypeAdapter(PlanCommand)
REQUIRED = ("specversion", "id", "source", "type", "subject")
# `source` + `id` become the idempotency key, stored and indexed: bounded, printable text only.
MAX_ATTRIBUTE_LENGTH = 500


@dataclass(frozen=True)
class InboundEvent:
    """One validated CloudEvent: where it comes from, which plan, which command."""

    source: str
    id: str
    plan_id: str
    command: Any
    acting_for: str | None
    raw: dict[str, Any]

    @property
    def key(self) -> str:
        return f"ce:{self.source}#{self.id}"


def parse(content_type: str, body: bytes) -> tuple[bool, list[InboundEvent]]:
    """(is_batch, events); every event is checked before any runs, so a bad batch runs nothing."""
    media = content_type.split(";")[0].strip().lower()
    if media not in (STRUCTURED, BATCH):
        raise ProblemError(415, "unsupported-media-type", f"send {STRUCTURED} or {BATCH}")
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        # RecursionError: nesting deeper than any CloudEvent has, sent to exhaust the parser.
        raise ProblemError(400, "malformed-request", "the request body is not valid JSON") from None
    if media == STRUCTURED:
        return False, [_event(document, None)]
    if not isinstance(document, list) or not 1 <= len(document) <= MAX_EVENTS:
        raise ProblemError(422, "validation", f"a batch is a JSON array of 1 to {MAX_EVENTS} CloudEvents")
    return True, [_event(entry, index) for index, entry in enumerate(document)]


def _event(document: Any, index: int | None) -> InboundEvent:
    where = {} if index is None else {"index": index}
    if not isinstance(document, dict):
        raise ProblemError(422, "validation", "a CloudEvent is a JSON object", **where)
    missing = [a for a in REQUIRED if not isinstance(document.get(a), str) or not document[a]]
    if missing:
        raise ProblemError(
            422, "validation", f"missing CloudEvents attributes: {', '.join(missing)}", **where
        )
    unfit = [a for a in (*REQUIRED, "actingfor") if a in document and not _fit(document[a])]
    if unfit:
        raise ProblemError(
            422,
            "validation",
            f"attributes {', '.join(unfit)}: text of 1 to {MAX_ATTRIBUTE_LENGTH} printable characters",
            **where,
        )
    if document["specversion"] != "1.0":
        raise ProblemError(422, "validation", "specversion must be '1.0'", **where)
    if document["type"] not in TYPE_TO_COMMAND:
        raise ProblemError(
            422,
            "unknown-event-type",
            f"unknown type {document['type']!r}",
            known_types=sorted(TYPE_TO_COMMAND),
            **where,
        )
    return InboundEvent(
        source=document["source"],
        id=document["id"],
        plan_id=document["subject"],
        command=_command(document, where),
        acting_for=document.get("actingfor"),
        raw=document,
    )


def _fit(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ATTRIBUTE_LENGTH and value.isprintable()


def _command(document: dict[str, Any], where: dict[str, Any]) -> Any:
    data = document.get("data", {})
    if "data_base64" in document or not isinstance(data, dict):
        raise ProblemError(422, "validation", "data must be a JSON object with the command's fields", **where)
    if data.get("type") not in (None, TYPE_TO_COMMAND[document["type"]]):
        raise ProblemError(422, "validation", "data.type, if given, must match the event type", **where)
    try:
        return COMMAND.validate_python({**data, "type": TYPE_TO_COMMAND[document["type"]]})
    except ValidationError as e:
        errors = [
            {"loc": ["data", *map(str, x["loc"][1:])], "msg": x["msg"], "type": x["type"]} for x in e.errors()
        ]
        raise ProblemError(
            422, "validation", "data does not match the command", errors=errors, **where
        ) from None
