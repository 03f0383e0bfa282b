"""Self-contained audit exports: a plan's stored records with their chain hashes, and the
offline check of such a file (no database, no keys).

The offline check recomputes every record's hash from the stored bytes in the file and
every link: the plan's own chain from its first version, and each record's place in the
store-wide chain from the previous chain hash the file states. To tie the file to the live
store, compare `chain_head` with a published anchor (`eenplan audit verify --against`).
"""

from __future__ import annotations

import base64
from typing import Any

from eenplan.domain.audit.chain import GENESIS, Break, ChainRow, chain_link, record_digest, record_link

FORMAT = "eenplan.audit-export/1"


def record_entry(row: ChainRow) -> dict[str, Any]:
    """One stored record as the file carries it: the bytes, base64, and its hashes."""
    assert row.event is not None
    return {
        "position": row.position,
        "originator_id": row.originator_id,
        "version": row.version,
        "notification_id": row.event.notification_id,
        "topic": row.event.topic,
        "state": base64.b64encode(row.event.state).decode(),
        "record_hash": row.record_hash,
        "chain_hash": row.chain_hash,
        "previous_chain_hash": row.previous_chain_hash or GENESIS,
    }


def verify_export(document: dict[str, Any]) -> tuple[int, Break | None]:
    """(records checked, the first broken link or None)."""
    if document.get("format") != FORMAT:
        return 0, Break(document.get("plan_id"), None, None, f"not an {FORMAT} file")
    previous_record = GENESIS
    for checked, record in enumerate(document.get("records", [])):
        broken = _check(record, checked + 1, previous_record)
        if broken:
            return checked, broken
        previous_record = record["record_hash"]
    return len(document.get("records", [])), _check_history(document)


def _check(record: dict[str, Any], expected_version: int, previous_record: str) -> Break | None:
    where = (record.get("originator_id"), record.get("version"), record.get("position"))
    if record.get("version") != expected_version:
        return Break(*where, f"version {expected_version} is missing from the file")
    digest = record_digest(
        record["originator_id"],
        record["version"],
        record["notification_id"],
        record["topic"],
        base64.b64decode(record["state"]),
    )
    if record_link(previous_record, digest) != record["record_hash"]:
        return Break(*where, "the record's bytes differ from its hash")
    if (
        chain_link(record["previous_chain_hash"], record["position"], record["record_hash"])
        != record["chain_hash"]
    ):
        return Break(*where, "the record's store-wide chain hash does not follow")
    return None


def _check_history(document: dict[str, Any]) -> Break | None:
    """Every history entry shown must stand for a record in the file."""
    versions = {r["version"] for r in document.get("records", [])}
    for entry in document.get("history", []):
        if entry.get("version") not in versions:
            return Break(document.get("plan_id"), entry.get("version"), None, "a history entry has no record")
    return None
