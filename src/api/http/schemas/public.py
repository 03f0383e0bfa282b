"""Response models: what clients see. Never an aggregate or an event object.

Personal fields are optional, because the privacy filter leaves out what the
caller may not see (left out, not nulled): responses exclude unset fields.
"""

from __future__ import annotations

from typing import Any, Literal, get_type_hints

from pydantic import BaseModel, ConfigDict, create_model

from eenplan.projections.status import ProjectionStatus, ReplicaStatus


class Public(BaseModel):
    model_config = ConfigDict(extra="forbid")


def state_of(aggregate: type, name: str, leave_out: set[str], **first: Any) -> type[Public]:
    """A response model with the fields the aggregate class declares, minus `leave_out`.

    One declaration of an aggregate's state: a field added to the aggregate appears in its
    response, with its type, without a second list here. `first` are fields of the response's own
    (an id, the version), as (type, default) pairs, ahead of the aggregate's.
    """
    hints = get_type_hints(aggregate)
    own = [k for k in vars(aggregate).get("__annotations__", {}) if k not in leave_out]
    fields: dict[str, Any] = {**first, **{k: (hints[k], ...) for k in own}}
    model: type[Public] = create_model(name, __base__=Public, **fields)
    return model


class EventRef(Public):
    type: str
    version: int


class PlanOpened(Public):
    plan_id: str
    version: int
    position: int | None
    member_ids: list[str]


class CommandResult(Public):
    plan_id: str
    version: int
    position: int | None
    events: list[EventRef]


class MemberPublic(Public):
    member_id: str
    role: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    birth_date: str | None = None
    bsn: str | None = None
    carried_from: str | None = None  # the plan this member came from (a merge or a split)


class PlanPublic(Public):
    plan_id: str
    version: int
    relation: str
    tenant: str
    team_id: str
    legal_basis: str
    status: Literal["open", "closed"]
    opened_at: str
    closed_at: str | None = None
    last_activity: str
    reason: str | None = None
    help_request_id: str | None = None
    members: list[MemberPublic] = []
    address: dict[str, Any] | None = None
    regisseur_id: str | None = None
    handover: dict[str, Any] | None = None
    care_team: list[dict[str, Any]] = []
    mandates: list[dict[str, Any]] = []
    goals: list[dict[str, Any]] = []
    agreements: list[dict[str, Any]] = []
    risk: dict[str, Any] | None = None
    consents: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    conferences: list[dict[str, Any]] = []
    proposals: list[dict[str, Any]] = []
    # One household, one plan (docs/households.md): the plan this one went into, the plans members
    # left for, the plans members came from, and why it was opened beside another plan on purpose.
    merged_into: str | None = None
    split_into: list[str] = []
    carried_from: list[str] = []
    second_plan: dict[str, Any] | None = None


class HistoryEntry(Public):
    type: str
    version: int
    time: str
    actor: dict[str, Any]
    data: dict[str, Any]


class PlanHistory(Public):
    plan_id: str
    events: list[HistoryEntry]


class OrganisationPublic(Public):
    id: str
    name: str
    kind: str
    tenants: list[str]


class ProfessionalPublic(Public):
    id: str
    organisation_id: str
    name: str
    disciplines: list[str]
    expertise: list[str]
    team_ids: list[str]
    capacity: int
    # False once they left: their tokens no longer match, and they take no new work.
    active: bool = True


class SystemPublic(Public):
    id: str
    organisation_id: str
    name: str
    # False once retired: its tokens no longer match.
    active: bool = True


class TeamPublic(Public):
    id: str
    name: str
    tenant: str
    areas: list[str]


class Health(Public):
    status: str


class Ready(Public):
    status: str
    position: int | None = None
    detail: str | None = None
    projections: list[ProjectionStatus] | None = None  # the status dataclass itself, not a copy
    # With EENPLAN_READ_DATABASE_URL: whether the replica answers, its replay lag, and the
    # projections as it sees them. An unavailable replica does not make the server unready:
    # commands and plan reads go on; only the projection reads answer 503.
    read_replica: ReplicaStatus | None = None
    # On PostgreSQL, which psycopg implementation runs: "binary" or "c" (compiled), "python".
    postgres_driver: str | None = None


class ChainHead(Public):
    position: int
    hash: str


class BrokenLink(Public):
    plan_id: str | None
    version: int | None
    position: int | None
    what: str


class AuditVerdict(Public):
    status: Literal["intact", "broken"]
    checked: int
    head: ChainHead | None
    broken: BrokenLink | None
    snapshots_checked: int | None = None
