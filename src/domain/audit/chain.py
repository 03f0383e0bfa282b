"""The hash chain, as pure functions over stored records.

Two links per stored event record:

- `record_hash` = H(record_hash of the same aggregate's previous version, digest of the record):
  every record is linked to the previous record of its aggregate;
- `chain_hash` = H(chain_hash at the previous position, position, record_hash): one store-wide
  chain in write order, so deleting a whole plan's records leaves a gap that is found.

The digest covers what is stored: originator id, version, notification id (the log order),
topic and the state bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from uuid import UUID

GENESIS = "0" * 64
DOMAIN_TAG = b"eenplan.chain.v1"


def _h(*parts: bytes) -> str:
    # Length-prefix every part, so no two different records share an encoding.
    digest = hashlib.sha256(DOMAIN_TAG)
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def canonical_id(originator_id: Any) -> str:
    """SQLite stores ids as hex, PostgreSQL as uuid: hash one spelling of both."""
    try:
        return str(originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id)))
    except ValueError:
        return str(originator_id)


def record_digest(originator_id: Any, version: int, notification_id: int, topic: str, state: bytes) -> str:
    return _h(
        canonical_id(originator_id).encode(),
        str(version).encode(),
        str(notification_id).encode(),
        topic.encode(),
        bytes(state),
    )


def record_link(previous_record_hash: str, digest: str) -> str:
    return _h(previous_record_hash.encode(), digest.encode())


def chain_link(previous_chain_hash: str, position: int, record_hash: str) -> str:
    return _h(previous_chain_hash.encode(), str(position).encode(), record_hash.encode())


@dataclass(frozen=True)
class ChainRow:
    """One chain record joined to what it covers: the stored event and its neighbours' hashes."""

    position: int
    originator_id: str
    version: int
    notification_id: int
    record_hash: str
    chain_hash: str
    previous_chain_hash: str | None  # the chain hash at position - 1, if that row exists
    previous_record_hash: str | None  # the record hash of version - 1, if that row exists
    event: StoredRecord | None  # None when the event row is gone


@dataclass(frozen=True)
class StoredRecord:
    notification_id: int
    topic: str
    state: bytes


@dataclass(frozen=True)
class Break:
    """The first broken link: where, and what differs."""

    plan_id: str | None
    version: int | None
    position: int | None
    what: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id,
            "version": self.version,
            "position": self.position,
            "what": self.what,
        }


def check_row(row: ChainRow) -> Break | None:
    """Does this chain row still match its event and its two predecessors?"""
    where = (row.originator_id, row.version, row.position)
    if row.event is None:
        return Break(*where, "the stored event is missing (deleted) but its chain record remains")
    if row.event.notification_id != row.notification_id:
        return Break(
            *where,
            f"the event's log position is {row.event.notification_id}, the chain recorded "
            f"{row.notification_id}: events were reordered",
        )
    if row.version > 1 and row.previous_record_hash is None:
        return Break(*where, f"the chain record of version {row.version - 1} is missing")
    if row.position > 1 and row.previous_chain_hash is None:
        return Break(*where, f"the chain record at position {row.position - 1} is missing")
    return _check_hashes(row)


def _check_hashes(row: ChainRow) -> Break | None:
    where = (row.originator_id, row.version, row.position)
    assert row.event is not None
    digest = record_digest(
        row.originator_id, row.version, row.event.notification_id, row.event.topic, row.event.state
    )
    if record_link(row.previous_record_hash or GENESIS, digest) != row.record_hash:
        return Break(*where, "the stored event (topic or state bytes) differs from what was hashed")
    if chain_link(row.previous_chain_hash or GENESIS, row.position, row.record_hash) != row.chain_hash:
        return Break(*where, "the store-wide chain hash does not follow from the previous position")
    return None


def next_links(
    previous_chain: tuple[int, str],
    previous_records: dict[str, str],
    records: list[tuple[Any, int, int, str, bytes]],
) -> list[tuple[int, str, int, int, str, str]]:
    """Chain rows for records being inserted, given the head and each aggregate's last hash.

    `records` are (originator_id, version, notification_id, topic, state); returns
    (position, originator_id, version, notification_id, record_hash, chain_hash).
    """
    position, chain_hash = previous_chain
    rows = []
    for originator_id, version, notification_id, topic, state in records:
        key = canonical_id(originator_id)
        digest = record_digest(key, version, notification_id, topic, state)
        record_hash = record_link(previous_records.get(key, GENESIS), digest)
        previous_records[key] = record_hash
        position += 1
        chain_hash = chain_link(chain_hash, position, record_hash)
        rows.append((position, key, version, notification_id, record_hash, chain_hash))
    return rows
