"""The processing-log table is append-only in the database itself, on both stores."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from eventsourcing.persistence import PersistenceError

from eenplan.api.bootstrap import build
from eenplan.api.settings import Settings
from eenplan.privacy.processing import Operation
from tests.factories import ctx_for


def test_lines_are_written_durably_and_cannot_be_updated_or_deleted(settings: Settings) -> None:
    container = build(settings)
    try:
        now = datetime.now(UTC)
        op = Operation("a" * 32, "b" * 16, "read_plan", "plan_coordination", now, now)
        written = container.privacy.log.write(
            op, ctx_for("pro", "org").actor, "GM0687", "plan-1", ["m1", "m2", "m1"]
        )
        assert written == 2
        store = container.privacy.store
        for statement in ("UPDATE processing_log SET name = 'x'", "DELETE FROM processing_log"):
            with pytest.raises(PersistenceError):
                store.execute(statement)
    finally:
        container.close()
    again = build(settings)
    try:
        lines = again.privacy.log.for_plan("plan-1")
        assert [line["name"] for line in lines] == ["read_plan", "read_plan"]
        assert len({line["attributes"]["dpl.core.data_subject_id"] for line in lines}) == 2
    finally:
        again.close()
