"""The review queue of emergency access: what privacy officers read, and what operators count.

Every grant is in the queue from the moment it is made. Its review status is
`open` until a privacy officer decides, `overdue` when it stays open past the
review term (EENPLAN_EMERGENCY_REVIEW_DAYS after the grant), then `approved` or
`rejected`, for good. A filter picks one status (`open` takes the overdue ones
too, as they are open as well; `decided` both decisions), a plan or an
organisation, and pages newest first. Reasons are opened with the household's
key, or read as erased once that key is gone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from eenplan.domain.plan.personal import ERASED
from eenplan.privacy.keys import Keyring
from eenplan.privacy.store import PrivacyStore

REVIEW_FILTERS = ("open", "overdue", "decided", "approved", "rejected")
SELECT = (
    "SELECT g.*, r.decision, r.reason AS review_reason, r.reviewed_at, r.by_sub, r.by_org, "
    "r.trace_id AS review_trace_id FROM privacy_emergency_access g "
    "LEFT JOIN privacy_emergency_reviews r ON r.grant_id = g.grant_id"
)
WHERE_REVIEW = {
    "open": ("r.grant_id IS NULL", False),
    "overdue": ("r.grant_id IS NULL AND g.granted_at < ?", True),
    "decided": ("r.grant_id IS NOT NULL", False),
    "approved": ("r.decision = 'approved'", False),
    "rejected": ("r.decision = 'rejected'", False),
}


@dataclass(frozen=True)
class QueueFilter:
    review: str | None = None  # one of REVIEW_FILTERS; None: every grant
    plan_id: str | None = None
    organisation_id: str | None = None
    before: int | None = None  # the `id` of the last grant of the previous page
    limit: int = 100


class ReviewQueue:
    def __init__(self, store: PrivacyStore, keyring: Keyring, review_days: float) -> None:
        self.store, self.keyring = store, keyring
        self.term = timedelta(days=review_days)

    def grants(self, tenants: frozenset[str], wanted: QueueFilter, now: datetime) -> list[dict[str, Any]]:
        """The grants of these tenants that match, newest first, reasons opened (or erased)."""
        if not tenants:
            return []
        where, params = self._where(tenants, wanted, now)
        # Only fixed condition texts and "?" placeholders are joined in; the values travel as parameters.
        statement = f"{SELECT} WHERE {' AND '.join(where)} ORDER BY g.id DESC LIMIT ?"
        rows = self.store.query(statement, (*params, wanted.limit))
        return [self.entry(row, now) for row in rows]

    def _where(
        self, tenants: frozenset[str], wanted: QueueFilter, now: datetime
    ) -> tuple[list[str], list[Any]]:
        where = [f"g.tenant IN ({', '.join('?' for _ in tenants)})"]
        params: list[Any] = sorted(tenants)
        if wanted.review is not None:
            condition, with_cutoff = WHERE_REVIEW[wanted.review]
            where.append(condition)
            params += [self._cutoff(now)] if with_cutoff else []
        for column, value in (("g.plan_id", wanted.plan_id), ("g.org", wanted.organisation_id)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if wanted.before is not None:
            where.append("g.id < ?")
            params.append(wanted.before)
        return where, params

    def entry(self, row: dict[str, Any], now: datetime) -> dict[str, Any]:
        """One grant as the queue shows it, with its review, if any."""
        granted = datetime.fromisoformat(row["granted_at"])
        ends_at = _ends_at(row)
        return {
            **{k: row[k] for k in ("id", "grant_id", "plan_id", "tenant", "sub", "org", "org_kind")},
            "categories": json.loads(row["categories"]) if row.get("categories") else None,
            "reason": self._open(row["reason"]),
            "granted_at": row["granted_at"],
            "expires_at": row["expires_at"],
            "ends_at": ends_at,
            "active": datetime.fromisoformat(ends_at) > now,
            "trace_id": row["trace_id"],
            "review_due": (granted + self.term).astimezone(UTC).isoformat(timespec="microseconds"),
            "review_status": self._status(row, granted, now),
            "review": self._review(row),
        }

    def _status(self, row: dict[str, Any], granted: datetime, now: datetime) -> str:
        if row.get("decision"):
            return str(row["decision"])
        return "overdue" if granted + self.term < now else "open"

    def _review(self, row: dict[str, Any]) -> dict[str, Any] | None:
        if not row.get("decision"):
            return None
        return {
            "decision": row["decision"],
            "reason": self._open(row["review_reason"]),
            "reviewed_at": row["reviewed_at"],
            "reviewed_by": {"sub": row["by_sub"], "org": row["by_org"]},
            "trace_id": row["review_trace_id"],
        }

    def _open(self, sealed: str) -> Any:
        return self.keyring.decrypt(json.loads(sealed), ERASED)

    def counts(self, now: datetime) -> dict[str, tuple[int, int]]:
        """Per tenant with any grant: (awaiting review, of which overdue); zeros included, for gauges."""
        rows = self.store.query(
            "SELECT g.tenant, SUM(CASE WHEN r.grant_id IS NULL THEN 1 ELSE 0 END) AS waiting, "
            "SUM(CASE WHEN r.grant_id IS NULL AND g.granted_at < ? THEN 1 ELSE 0 END) AS overdue "
            "FROM privacy_emergency_access g "
            "LEFT JOIN privacy_emergency_reviews r ON r.grant_id = g.grant_id GROUP BY g.tenant",
            (self._cutoff(now),),
        )
        return {row["tenant"]: (int(row["waiting"] or 0), int(row["overdue"] or 0)) for row in rows}

    def _cutoff(self, now: datetime) -> str:
        """Granted before this, and still open: overdue."""
        return (now - self.term).astimezone(UTC).isoformat(timespec="microseconds")


def _ends_at(row: dict[str, Any]) -> str:
    """A grant ends when it expires, or when it is rejected, whichever comes first."""
    if row.get("decision") == "rejected":
        return str(min(row["expires_at"], row["reviewed_at"]))
    return str(row["expires_at"])
