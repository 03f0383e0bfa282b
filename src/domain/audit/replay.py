"""Time travel: which version of a plan stood at a moment, found without reading its whole history.

A plan's events are stored in version order and their timestamps rise with the version,
so the version at a moment is a binary search over single-event reads by primary key:
about log2(versions) reads, not one per event. The state at that version then comes from
the nearest snapshot plus the events after it (`Repository.get(version=…)`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID


def timestamp_of(event_store: Any, originator_id: UUID, version: int) -> datetime:
    """When the event at `version` happened: one read by primary key."""
    (event,) = list(event_store.get(originator_id, gt=version - 1, lte=version))
    stamp: datetime = event.timestamp
    return stamp


def version_at(event_store: Any, originator_id: UUID, moment: datetime) -> int | None:
    """The version of the last event at or before `moment`; None before the first event."""
    last = list(event_store.get(originator_id, desc=True, limit=1))
    if not last:
        return None
    head = int(last[0].originator_version)
    if last[0].timestamp <= moment:
        return head
    # Invariant: the event at `low` is at or before the moment (0 stands for "before the plan"),
    # the event at `high` is after it.
    low, high = 0, head
    while high - low > 1:
        middle = (low + high) // 2
        if timestamp_of(event_store, originator_id, middle) <= moment:
            low = middle
        else:
            high = middle
    return low or None
