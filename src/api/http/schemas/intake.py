"""Response models of intake, signals, the welfare offer and reorganisations."""

from __future__ import annotations

from typing import Any

from eenplan.api.http.schemas.public import Public


class HelpRequestCreated(Public):
    request_id: str
    version: int
    position: int | None


class TriageResult(Public):
    request_id: str
    version: int
    status: str
    position: int | None
    plan_id: str | None = None
    tenant: str


class HelpRequestPublic(Public):
    request_id: str
    version: int
    tenant: str
    channel: str
    location: str | None
    area: str | None
    topics: list[str]
    summary: str
    contact: dict[str, Any]
    status: str
    submitted_at: str
    first_contact_at: str | None
    assigned_at: str | None
    assignment: dict[str, Any] | None
    outcome: dict[str, Any] | None


class ScoreParts(Public):
    expertise: float
    capacity: float
    waiting: float
    proximity: float


class CandidatePublic(Public):
    professional_id: str
    team_id: str
    score: float
    parts: ScoreParts


class Step(Public):
    count: int
    mean_days: float | None


class WaitingTimeRow(Public):
    team_id: str | None
    topic: str
    requests: int
    to_first_contact: Step
    to_assignment: Step
    to_plan: Step
    waiting_for_contact: int


class SignalPosted(Public):
    signal_id: str
    matched: bool
    position: int | None


class MatchPublic(Public):
    match_id: str
    team_id: str | None
    matched_on: str
    organisation_ids: list[str]
    signal_ids: list[str]
    seen_as: str
    person: dict[str, Any] | None = None
    signals: list[dict[str, Any]] | None = None


class SignalsErased(Public):
    tenant: str
    erased: int


class ActivityPublic(Public):
    id: str
    tenant: str
    name: str
    provider: str
    topics: list[str]
    location: str
    times: str
    referrals: int


class ReorganisationResult(Public):
    reorganisation_id: str
    tenant: str
    dry_run: bool
    plans_in_tenant: int
    already_moved: int
    would_move: int
    moved: int
    moves: dict[str, int]
    areas_after: dict[str, list[str]]
    dissolved: list[str]
