"""Response models of the privacy routes: processing log, export, erasure receipt, emergency access."""

from __future__ import annotations

from typing import Any, Literal

from eenplan.api.http.schemas.public import HistoryEntry, Public


class ProcessingLogPage(Public):
    plan_id: str
    entries: list[dict[str, Any]]


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
    plan_id: str
    granted_at: str
    expires_at: str


class EmergencyReviewEntry(Public):
    id: int
    plan_id: str
    tenant: str
    sub: str
    org: str
    reason: str
    granted_at: str
    expires_at: str
    trace_id: str | None = None


class EmergencyReview(Public):
    grants: list[EmergencyReviewEntry]


class PolicyVersion(Public):
    version: str
    sha256: str
    first_loaded_at: str


class PolicyVersions(Public):
    current: str
    policies: list[PolicyVersion]
