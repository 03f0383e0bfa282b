"""Integrity of stored records beyond their hash links: do their encrypted values still open?

The hash chain proves that stored bytes did not change since they were chained; an
insider who rewrites a record can rewrite its links too, up to the next published
anchor. The envelopes cannot be rewritten without the data keys: each is bound to
its event type, record, data subject and category (`privacy.mapper`). Opening every
envelope of a record therefore finds an altered record even where the links hold.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import TopicError

from eenplan.domain.audit.chain import Break, ChainRow
from eenplan.domain.audit.verify import Inspect
from eenplan.domain.errors import RecordIntegrityError


def opens(mapper: Mapper[Any]) -> Inspect:
    """An inspector for verification: the record's values open under their binding, or a Break."""

    def inspect(row: ChainRow) -> Break | None:
        if row.event is None:
            return None  # the link check reports a missing event
        stored = StoredEvent(
            originator_id=_id(row.originator_id),
            originator_version=row.version,
            topic=row.event.topic,
            state=bytes(row.event.state),
        )
        where = (row.originator_id, row.version, row.position)
        try:
            mapper.to_domain_event(stored)
        except RecordIntegrityError as failed:
            return Break(*where, f"a value fails its integrity check at {failed.where}: {failed.reason}")
        except (ValueError, TopicError):
            return Break(*where, "the stored event no longer decodes: it was altered")
        return None

    return inspect


def _id(originator_id: str) -> UUID | str:
    try:
        return UUID(originator_id)
    except ValueError:
        return originator_id
