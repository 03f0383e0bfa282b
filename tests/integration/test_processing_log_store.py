"""The processing-log table is append-only in the database itself, on both stores."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from eventsourcing.persistence import PersistenceError
from hypothesis import given
from hypothesis import settings as settings_
from hypothesis import strategies as st

from eenplan.api.bootstrap import build
from eenplan.api.settings import Settings
from eenplan.domain.context import Actor
from eenplan.privacy.processing import _ENCODE, Operation
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


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


def test_a_line_from_its_template_is_byte_for_byte_the_line_encoded_itself(settings: Settings) -> None:
    """A page's lines are made from a template encoded once per operation (processing._Template):
    whatever the names, ids and kinds of record, the bytes are those of encoding each line."""
    container = build(settings)
    log = container.privacy.log
    now = datetime.now(UTC)

    @given(
        sub=TEXT,
        org=TEXT,
        tenant=TEXT,
        kind=st.sampled_from(["", "intake", "member", "a:b"]) | TEXT,
        rest=TEXT,
        subject=TEXT,
        parent=st.none() | st.just("c" * 16),
        foreign=st.none() | st.just("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
    )
    @settings_(max_examples=300, deadline=None)
    def same(sub, org, tenant, kind, rest, subject, parent, foreign) -> None:  # type: ignore[no-untyped-def]
        op = Operation("a" * 32, parent, "read_caseload", "plan_coordination", now, now, foreign)
        actor = Actor(sub, org, frozenset({"professional"}))
        plan_id = f"{kind}:{rest}" if kind else rest
        template = log._template(op, actor, tenant, plan_id.rpartition(":")[0])
        span = "d" * 16
        expected = _ENCODE(log._line(log._shared(op, actor, tenant), plan_id, subject, span=span))
        assert template.record(span, plan_id, subject) == expected

    try:
        same()
        # And through the store: a page of plans and records of several kinds reads back as encoded.
        op = Operation("e" * 32, None, "read_caseload", "plan_coordination", now, now)
        actor = ctx_for("pro", "org").actor
        ids = ["plan-9", "intake:req-1", "member:x:y", "plan-10"]
        log.write_all([(op, actor, "GM0687", plan_id, ["m1", "m2"]) for plan_id in ids])
        written = container.privacy.store.query(
            "SELECT plan_id FROM processing_log WHERE trace_id = ? ORDER BY id", (op.trace_id,)
        )
        assert [row["plan_id"] for row in written] == [plan_id for plan_id in ids for _ in (1, 2)]  # in order
        for plan_id in ids:
            for line in log.for_plan(plan_id):
                stored = {k: v for k, v in line.items() if k != "id"}  # the row's id, added on reading
                subject = stored["attributes"]["dpl.core.data_subject_id"]
                span = stored["operation_id"]
                assert stored == log.line(op, actor, "GM0687", plan_id, subject) | {"operation_id": span}
    finally:
        container.close()
