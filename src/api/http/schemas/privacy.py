"""Response models of the privacy routes: processing log, export, erasure receipt, emergency access."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict

from eenplan.api.http.schemas.public import HistoryEntry, Public


class ProcessingLogPage(Public):
    plan_id: str
    entries: list[dict[str, Any]]


class ProcessingActivity(Public):
    """One activity of the register, as a version describes it: what a log line's URI resolves to.

    A register version may describe more than these fields; they are passed on as written.
    """

    model_config = ConfigDict(extra="allow")

    id: str
    uri: str
    version: str | None = None
    name: str
    purpose: str
    legal_bases: list[str]


class RegisterVersionRef(Public):
    version: str
    sha256: str
    first_loaded_at: str
    uri: str


class ActivityRegisterVersion(Public):
    """One version of the register of processing activities; a recorded version never changes."""

    version: str
    sha256: str
    uri: str
    activities: dict[str, ProcessingActivity]


class ActivityRegister(ActivityRegisterVersion):
    """The current version, and every version the server has recorded."""

    current: str
    versions: list[RegisterVersionRef]


class ErasureReceipt(Public):
    """Ids, counts and codes only: a receipt holds no personal data.

    `status` is `complete` once no old version of a destroyed key is left in the store's
    files; `pending` while a reader still holds the store (it completes by itself).
    """

    receipt_id: str
    plan_id: str
    data_subject_ids: list[str]
    household: bool
    keys_destroyed: int
    legal_ground: str
    reason_code: str
    erased_at: str
    status: Literal["pending", "complete"] = "complete"
    completed_at: str | None = None
    # How many records of each kind were erased: plans, help_requests, signal_files.
    records: dict[str, int] = {}


class SubjectExport(Public):
    member_id: str
    data_subject_id: str
    plan: dict[str, Any]
    history: list[HistoryEntry]
    help_requests: list[dict[str, Any]] = []
    signals: list[dict[str, Any]] = []
    referrals: list[dict[str, Any]] = []
    processing_log: list[dict[str, Any]]
    erasure_receipts: list[dict[str, Any]]


class EmergencyGrant(Public):
    """A grant of emergency access, as its requester gets it (no reason: the reply is kept for repeats)."""

    grant_id: str
    plan_id: str
    tenant: str
    categories: list[str]
    granted_at: str
    expires_at: str


class Reviewer(Public):
    sub: str
    org: str


class EmergencyDecision(Public):
    decision: Literal["approved", "rejected"]
    reason: str
    reviewed_at: str
    reviewed_by: Reviewer
    trace_id: str | None = None


class EmergencyReviewEntry(Public):
    id: int  # ascending with time; `before` pages by it
    grant_id: str
    plan_id: str
    tenant: str
    sub: str
    org: str
    org_kind: str | None = None  # None: granted before the policy said which kinds may
    categories: list[str] | None = None
    reason: str
    granted_at: str
    expires_at: str
    ends_at: str
    active: bool
    trace_id: str | None = None
    review_due: str
    review_status: Literal["open", "overdue", "approved", "rejected"]
    review: EmergencyDecision | None = None


class EmergencyReview(Public):
    grants: list[EmergencyReviewEntry]
    next_before: int | None = None  # pass as `before` for the next page; None: this was the last


class EmergencyReviewed(Public):
    """A privacy officer's decision, as recorded; a rejection ends the access at `access_ends_at`."""

    grant_id: str
    plan_id: str
    decision: Literal["approved", "rejected"]
    reviewed_at: str
    reviewed_by: Reviewer
    access_ends_at: str


class PolicyVersion(Public):
    version: str
    sha256: str
    first_loaded_at: str


class PolicyVersions(Public):
    current: str
    policies: list[PolicyVersion]
