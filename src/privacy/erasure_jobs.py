"""The erasure receipts and the work still open on them, in the privacy tables.

An erasure is recorded in two rows written together: the receipt (`privacy_erasures`, ids,
pseudonyms, counts and codes) and its job (`privacy_erasure_jobs`): which keys to destroy,
which commands' stored answers to blank, and whether the old row versions are gone from
the store's files yet (`pending` until then, `complete` after). A process that dies in the
middle leaves a pending job; housekeeping finishes it. Neither row holds personal data.
"""

# The SQL here names constant tables and columns; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eenplan.domain.context import Actor
from eenplan.privacy.store import PrivacyStore

PENDING, COMPLETE = "pending", "complete"
JOBS = """CREATE TABLE IF NOT EXISTS privacy_erasure_jobs (
    receipt_id TEXT PRIMARY KEY, plan_id TEXT NOT NULL, key_ids TEXT NOT NULL, commands TEXT NOT NULL,
    records TEXT NOT NULL, status TEXT NOT NULL, started_at TEXT NOT NULL, completed_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0, last_attempt_at TEXT)"""
RECEIPT_COLUMNS = (
    "receipt_id, plan_id, data_subject_ids, household, keys_destroyed, legal_ground, reason_code, "
    "erased_at, by_sub, by_org"
)


@dataclass(frozen=True)
class Job:
    receipt_id: str
    key_ids: list[str]
    commands: list[tuple[str, str, str]]


def create_table(store: PrivacyStore) -> None:
    store.execute(JOBS)
    store.execute("CREATE INDEX IF NOT EXISTS privacy_erasure_jobs_status ON privacy_erasure_jobs (status)")


def start(
    store: PrivacyStore, receipt: dict[str, Any], actor: Actor, job: Job, records: dict[str, int]
) -> None:
    """The receipt and its open job, in one transaction."""
    with store.transaction() as tx:
        tx.execute(
            f"INSERT INTO privacy_erasures ({RECEIPT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                receipt["receipt_id"],
                receipt["plan_id"],
                json.dumps(receipt["data_subject_ids"]),
                int(receipt["household"]),
                receipt["keys_destroyed"],
                receipt["legal_ground"],
                receipt["reason_code"],
                receipt["erased_at"],
                actor.professional_id,
                actor.org,
            ),
        )
        tx.execute(
            "INSERT INTO privacy_erasure_jobs (receipt_id, plan_id, key_ids, commands, records, status, "
            "started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                job.receipt_id,
                receipt["plan_id"],
                json.dumps(job.key_ids),
                json.dumps(job.commands),
                json.dumps(records),
                PENDING,
                _now(),
            ),
        )


def open_job(store: PrivacyStore, record_id: str, job: Job) -> None:
    """A job without a receipt: keys shredded by a retention term (an expired signal file)."""
    store.execute(
        "INSERT INTO privacy_erasure_jobs (receipt_id, plan_id, key_ids, commands, records, status, "
        "started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (job.receipt_id, record_id, json.dumps(job.key_ids), "[]", "{}", PENDING, _now()),
    )


def attempted(store: PrivacyStore, receipt_id: str, done: bool) -> str | None:
    """Record one attempt; returns the completion time when this one completed the job."""
    now = _now()
    store.execute(
        "UPDATE privacy_erasure_jobs SET attempts = attempts + 1, last_attempt_at = ?, status = ?, "
        "completed_at = ? WHERE receipt_id = ? AND status = ?",
        (now, COMPLETE if done else PENDING, now if done else None, receipt_id, PENDING),
    )
    return now if done else None


def pending(store: PrivacyStore, limit: int = 100) -> list[Job]:
    rows = store.query(
        "SELECT receipt_id, key_ids, commands FROM privacy_erasure_jobs WHERE status = ? "
        "ORDER BY started_at LIMIT ?",
        (PENDING, limit),
    )
    return [
        Job(r["receipt_id"], json.loads(r["key_ids"]), [tuple(c) for c in json.loads(r["commands"])])
        for r in rows
    ]


def receipt(store: PrivacyStore, receipt_id: str) -> dict[str, Any] | None:
    rows = store.query(
        f"SELECT {', '.join('e.' + c.strip() for c in RECEIPT_COLUMNS.split(','))}, "
        "j.status, j.completed_at, j.records FROM privacy_erasures e "
        "LEFT JOIN privacy_erasure_jobs j ON j.receipt_id = e.receipt_id WHERE e.receipt_id = ?",
        (receipt_id,),
    )
    return public(rows[0]) if rows else None


def latest(store: PrivacyStore, limit: int = 200) -> list[dict[str, Any]]:
    """The newest receipts of every tenant, as `receipt` shows one; callers keep their tenants' own."""
    rows = store.query(
        f"SELECT {', '.join('e.' + c.strip() for c in RECEIPT_COLUMNS.split(','))}, "
        "j.status, j.completed_at, j.records FROM privacy_erasures e "
        "LEFT JOIN privacy_erasure_jobs j ON j.receipt_id = e.receipt_id ORDER BY e.erased_at DESC LIMIT ?",
        (limit,),
    )
    return [public(row) for row in rows]


def public(row: dict[str, Any]) -> dict[str, Any]:
    """A receipt as shown: no officer names (they are in the processing log), the job's state."""
    return {
        "receipt_id": row["receipt_id"],
        "plan_id": row["plan_id"],
        "data_subject_ids": json.loads(row["data_subject_ids"]),
        "household": bool(row["household"]),
        "keys_destroyed": int(row["keys_destroyed"]),
        "legal_ground": row["legal_ground"],
        "reason_code": row["reason_code"],
        "erased_at": row["erased_at"],
        # Receipts from before jobs existed were complete when given.
        "status": row.get("status") or COMPLETE,
        "completed_at": row.get("completed_at") or (None if row.get("status") else row["erased_at"]),
        "records": json.loads(row["records"]) if row.get("records") else {},
    }


def _now() -> str:
    return datetime.now(UTC).isoformat()
