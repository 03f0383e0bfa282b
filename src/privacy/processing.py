"""The processing log (Logboek Dataverwerkingen, with the NEN 7513 extension).

Every read or change of personal data writes one line per data subject, in the shape
`privacy.ldv` gives it: LDV's fields, the core attributes (`dpl.core.processing_activity_id`, a URI
into the versioned register `privacy.register`; `dpl.core.data_subject_id`, a keyed hash, never
the member id), and the NEN 7513 extension's (`dpl.nen7513.users`, `participants`,
`autorisatieProtocol`, `controles`). No sampling. Lines go to the append-only `processing_log`
table before the response leaves.

Read paths note what they processed with `note_processing`; the API's logging
route collects the notes of one request and writes them (api/http/processing.py), and the CLI
does the same for its commands (api/cli/logged.py).

Refused and failed attempts are logged too (NEN 7513 asks for unsuccessful
attempts), with their outcome (`privacy.outcome`): a route names the plan it is
about to act on (`note_attempt`) when its path does not, and the logging route
writes the attempt's lines if the request is refused or fails.

An idempotent repeat (the same Idempotency-Key, or the same CloudEvent source and id) gets the
first answer again and changes nothing: the idempotency room says so (`replaying`), and the notes
taken while it holds are logged as a replay (`<name>:replay`, a `replay` control), not as a change.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import secrets
from collections import Counter
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opentelemetry import metrics

from eenplan.domain.context import Actor
from eenplan.domain.errors import HouseholdHasPlanError
from eenplan.privacy import ldv
from eenplan.privacy.outcome import SUCCESS, Outcome
from eenplan.privacy.policy import Policy
from eenplan.privacy.register import ActivityRegister
from eenplan.privacy.store import PrivacyStore

SUBJECT_ID_TYPE = ldv.SUBJECT_ID_TYPE
SUBJECT_IDS_KEPT = 10_000  # pseudonyms kept per process (an HMAC each, for every line of every read)
# A line's record as stored: keys sorted, as `json.dumps(record, sort_keys=True)` writes it, with
# one encoder for every line instead of one made per call.
_ENCODE = json.JSONEncoder(sort_keys=True).encode
LINE_COLUMNS = (
    "trace_id",
    "span_id",
    "parent_span_id",
    "name",
    "start_time",
    "end_time",
    "status_code",
    "plan_id",
    "activity_id",
    "data_subject_id",
    "record",
)
# Holes in a template line (`_Template`): unguessable per process, so no value a caller sends
# can contain one; with NUL characters, so none could by chance; without ":", where a record id's
# kind ends.
_NONCE = secrets.token_hex(8)
_HOLE_SPAN, _HOLE_SUBJECT, _HOLE_RECORD = (f"\x00{_NONCE}-{h}\x00" for h in ("span", "subject", "record"))


def _same(op: Operation) -> Any:
    """What makes two operations' lines alike: their facts (a page's notes are one operation
    each, equal but for the plan), or the object itself when a fact is not hashable."""
    try:
        hash(op)
    except TypeError:  # a foreign operation already split (a dict)
        return id(op)
    return op


def _inner(value: str) -> str:
    """A string as it stands inside a JSON string: escaped, without its quotes. JSON escapes
    character by character, so a value put in for a hole reads as if encoded in its place."""
    return _ENCODE(value)[1:-1]


# An idempotent repeat is under way: notes taken now are of a replay (see the module docstring).
_replaying: ContextVar[bool] = ContextVar("eenplan_processing_replaying", default=False)


def replaying(repeat: bool) -> None:
    """Say whether the command now answering is a repeat that replays a stored answer."""
    _replaying.set(repeat)


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
    # The stored answer of an earlier run was given again: nothing changed.
    replay: bool = field(default_factory=_replaying.get)
    # The other party's operation that caused this one, when it is not the request's traceparent
    # (a CloudEvent: its `traceparent` and its `source` as the entity): trace_id, operation_id, entity.
    foreign: dict[str, str] | None = None


# The explicit "nothing personal was processed" note: it writes no line.
NOTHING = Noted(Actor(sub="", org=""), plan_id="", member_ids=[])

_noted: ContextVar[list[Noted] | None] = ContextVar("eenplan_processing_noted", default=None)


def begin() -> list[Noted]:
    notes: list[Noted] = []
    _noted.set(notes)
    _replaying.set(False)
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


def note_match(actor: Actor, found: HouseholdHasPlanError) -> None:
    """A match processed the members of the plan that already holds the household: log it for them,
    with the refusal the caller got, whatever the caller was told of that plan."""
    if found.concerned is not None:
        tenant, plan_id, member_ids = found.concerned
        note_processing(actor, plan_id, member_ids, tenant=tenant, operation="household_match", replay=False)


def note_attempt(actor: Actor, plan_id: str, operation: str | None = None) -> None:
    """Name the plan a request is about to act on when its path does not: should the request be
    refused or fail, the attempt is logged for this plan's members."""
    note_processing(actor, plan_id, operation=operation, attempt=True, replay=False)


def note_refused(actor: Actor, plan_id: str, outcome: Outcome, operation: str | None = None) -> None:
    """Record a refusal inside a request that as a whole succeeds (one event of a batch)."""
    # A refusal is never a replay, whatever the batch's event before it was.
    note_processing(actor, plan_id, operation=operation, outcome=outcome, replay=False)


@dataclass(frozen=True)
class Operation:
    """The request-level facts every line of one operation shares."""

    trace_id: str
    parent_span_id: str | None
    name: str
    activity_id: str
    started: datetime
    ended: datetime
    # The caller's W3C traceparent, or a foreign operation already split (`Noted.foreign`).
    foreign_operation: str | dict[str, str] | None = None
    outcome: Outcome = SUCCESS
    relation: str | None = None  # "emergency": read under break the glass
    replay: bool = False
    source: str = "eenplan"  # NEN 7513 AuditSourceId: the API, or `eenplan-cli`
    # Who ran a CLI command: the requesting user; the actor is then whom the command was recorded for.
    operator: str | None = None


# The same instrument as api.telemetry.metrics.processing_log_writes (one instrument per name and meter).
_WRITES = metrics.get_meter("eenplan").create_counter(
    "eenplan.processing_log.writes",
    unit="{entry}",
    description="Entries written to the processing log (Logboek Dataverwerkingen)",
)


class ProcessingLog:
    def __init__(
        self, store: PrivacyStore, pseudonym_key: bytes, policy: Policy, register: ActivityRegister
    ) -> None:
        self.store = store
        self._key = pseudonym_key
        self.policy = policy
        self.register = register
        self.context = ldv.Context(register.base, policy.version, policy.sha256)
        # A page of plans logs every member on it, read after read: their pseudonyms are kept.
        self._subject_ids = functools.lru_cache(maxsize=SUBJECT_IDS_KEPT)(self._subject_id)

    def subject_id(self, tenant: str, member_id: str) -> str:
        """Pseudonymous, stable per member: the same person links across lines, unnamed."""
        return self._subject_ids(tenant, member_id)

    def _subject_id(self, tenant: str, member_id: str) -> str:
        return hmac.new(self._key, f"{tenant}:{member_id}".encode(), hashlib.sha256).hexdigest()

    def write(self, op: Operation, actor: Actor, tenant: str, plan_id: str, member_ids: list[str]) -> int:
        return self.write_all([(op, actor, tenant, plan_id, member_ids)])

    def write_all(self, entries: list[tuple[Operation, Actor, str, str, list[str]]]) -> int:
        """Lines for several plans or records of one request, in one statement: a page of fifty
        plans is one round trip, not fifty."""
        rows = []
        written: Counter[str] = Counter()
        templates: dict[tuple[Any, Actor, str, str], _Template] = {}
        for op, actor, tenant, plan_id, member_ids in entries:
            if not self.register.knows(op.activity_id):
                raise ValueError(f"unknown processing activity {op.activity_id}")
            subjects = sorted(set(member_ids))
            key = (_same(op), actor, tenant, plan_id.rpartition(":")[0])
            template = templates.get(key)
            if template is None:
                template = templates[key] = self._template(op, actor, tenant, key[3])
            rows += [template.row(op, plan_id, self.subject_id(tenant, m)) for m in subjects]
            written[op.activity_id] += len(subjects)
        if not rows:
            return 0
        self.store.insert_text_rows("processing_log", LINE_COLUMNS, rows)
        for activity_id, count in written.items():  # once per activity, a small fixed set of ids
            _WRITES.add(count, {"activity": activity_id})
        return len(rows)

    def _template(self, op: Operation, actor: Actor, tenant: str, kind: str) -> _Template:
        shared = self._shared(op, actor, tenant)
        record = f"{kind}:{_HOLE_RECORD}" if kind else _HOLE_RECORD
        encoded = _ENCODE(self._line(shared, record, _HOLE_SUBJECT, span=_HOLE_SPAN))
        return _Template(shared, encoded, len(kind) + 1 if kind else 0)

    def line(self, op: Operation, actor: Actor, tenant: str, plan_id: str, subject: str) -> dict[str, Any]:
        """One LDV line (see `privacy.ldv`): optional fields that are unknown are left out."""
        return self._line(self._shared(op, actor, tenant), plan_id, subject)

    def _shared(self, op: Operation, actor: Actor, tenant: str) -> dict[str, Any]:
        """What every line of one operation says, whichever person and record it is about: made
        once for a page's lines, not once a line."""
        name = f"{op.name}:{ldv.REPLAY}" if op.replay else op.name
        purpose = self.register.uri(op.activity_id)
        shared: dict[str, Any] = {
            "trace_id": op.trace_id,
            "name": name,
            "start_time": ldv.timestamp(op.started),
            "end_time": ldv.timestamp(op.ended),
            "status_code": op.outcome.ldv_status,
            "resource": ldv.resource(op.source, tenant),
            "attributes": {
                "dpl.core.processing_activity_id": purpose,
                "dpl.core.data_subject_id_type": SUBJECT_ID_TYPE,
                "dpl.nen7513.eventTypeCode": name,
                "dpl.nen7513.users": ldv.users(actor, purpose, op.operator),
                "dpl.nen7513.autorisatieProtocol": ldv.protocol(op.relation),
                "dpl.nen7513.controles": ldv.controls(
                    op.outcome.status, op.outcome.result, op.outcome.reason, op.replay
                ),
            },
        }
        if op.parent_span_id:
            shared["parent_operation_id"] = op.parent_span_id
        found = ldv.foreign(op.foreign_operation, ldv.organisation_uri(self.register.base, actor.org))
        if found:
            shared["foreign_operation"] = found
        return shared

    def _line(
        self, shared: dict[str, Any], plan_id: str, subject: str, span: str | None = None
    ) -> dict[str, Any]:
        attributes = {
            **shared["attributes"],
            "dpl.core.data_subject_id": subject,
            "dpl.nen7513.participants": ldv.participants(subject, plan_id, self.context),
        }
        return {**shared, "operation_id": span or ldv.operation_id(), "attributes": attributes}

    def for_plan(self, plan_id: str, limit: int = 1000, after: int = 0) -> list[dict[str, Any]]:
        rows = self.store.query(
            "SELECT id, record FROM processing_log WHERE plan_id = ? AND id > ? ORDER BY id LIMIT ?",
            (plan_id, after, limit),
        )
        return [self._read(r) for r in rows]

    def for_subject(self, subject: str) -> list[dict[str, Any]]:
        rows = self.store.query(
            "SELECT id, record FROM processing_log WHERE data_subject_id = ? ORDER BY id", (subject,)
        )
        return [self._read(r) for r in rows]

    def _read(self, row: dict[str, Any]) -> dict[str, Any]:
        """A stored line in today's shape: lines written before it are converted, not rewritten."""
        return {"id": row["id"], **ldv.upgrade(json.loads(row["record"]), self.register.uri, self.context)}


def now() -> datetime:
    return datetime.now(UTC)


class _Template:
    """The lines of one operation, tenant and record kind, encoded once with holes for what
    differs per line (span id, data subject, record id): a page of fifty plans of two people
    each encodes one template, not a hundred lines. Byte for byte what encoding each line gives
    (tests/integration/test_processing_log_store.py)."""

    HOLES = (_inner(_HOLE_SPAN), _inner(_HOLE_SUBJECT), _inner(_HOLE_RECORD))

    def __init__(self, shared: dict[str, Any], encoded: str, kind_length: int) -> None:
        self.shared, self.encoded, self.kind_length = shared, encoded, kind_length

    def record(self, span: str, plan_id: str, subject: str) -> str:
        span_hole, subject_hole, record_hole = self.HOLES
        return (
            self.encoded.replace(span_hole, _inner(span))
            .replace(subject_hole, _inner(subject))
            .replace(record_hole, _inner(plan_id[self.kind_length :]))
        )

    def row(self, op: Operation, plan_id: str, subject: str) -> tuple[Any, ...]:
        span, shared = ldv.operation_id(), self.shared
        return (
            op.trace_id,
            span,
            op.parent_span_id,
            shared["name"],
            shared["start_time"],
            shared["end_time"],
            shared["status_code"],
            plan_id,
            op.activity_id,
            subject,
            self.record(span, plan_id, subject),
        )
