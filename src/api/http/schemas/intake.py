"""Response models of intake, signals, the welfare offer and reorganisations."""

from __future__ import annotations

from typing import Any

from eenplan.api.http.schemas.public import Public, state_of
from eenplan.domain.intake.request import HelpRequest


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


# A help request as its tenant's intake sees it: the aggregate's state, less who submitted it
# (a professional's id, which the requester's answer does not need) and the erasure flag.
HelpRequestPublic = state_of(
    HelpRequest,
    "HelpRequestPublic",
    leave_out={"submitted_by", "erased"},
    request_id=(str, ...),
    version=(int, ...),
)


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
