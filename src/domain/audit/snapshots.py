"""Snapshots are a cache of the events, so they must agree with them.

Replay reads the nearest snapshot, and the hash chain covers the events, not the snapshots.
A snapshot that was altered in the database would change what a replay shows without
breaking the chain, so verification of a plan also folds its events from the first and
compares the state at every snapshot's version.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eenplan.domain.audit.chain import Break, canonical_id
from eenplan.domain.errors import RecordIntegrityError


def state_of(aggregate: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def check_snapshots(snapshot_store: Any, event_store: Any, originator_id: UUID) -> tuple[int, Break | None]:
    """(snapshots checked, the first snapshot that disagrees with its events, if any)."""
    if snapshot_store is None:
        return 0, None
    try:
        snapshots = {s.originator_version: s for s in snapshot_store.get(originator_id)}
    except ValueError:  # JSONDecodeError, UnicodeDecodeError: the stored bytes were changed
        return 0, Break(
            canonical_id(originator_id), None, None, "a snapshot no longer decodes: it was altered"
        )
    except RecordIntegrityError as failed:  # a value in it no longer opens under its binding
        what = f"a snapshot fails its integrity check at {failed.where}: {failed.reason}"
        return 0, Break(canonical_id(originator_id), failed.version, None, what)
    checked, aggregate = 0, None
    for event in event_store.get(originator_id, lte=max(snapshots, default=0)):
        aggregate = event.mutate(aggregate)
        snapshot = snapshots.get(event.originator_version)
        if snapshot is None:
            continue
        if state_of(snapshot.mutate(None)) != state_of(aggregate):
            what = "the snapshot differs from the state its events give: it was altered"
            return checked, Break(canonical_id(originator_id), event.originator_version, None, what)
        checked += 1
    return checked, None
