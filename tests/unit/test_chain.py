"""The hash chain's pure functions: links, the checks on one row, and the offline export check."""

from __future__ import annotations

import base64
import uuid
from dataclasses import replace
from typing import Any

import pytest

from eenplan.domain.audit.chain import GENESIS, ChainRow, StoredRecord, check_row, next_links
from eenplan.domain.audit.export import FORMAT, verify_export
from eenplan.domain.audit.verify import Anchor

PLAN = str(uuid.uuid4())


def chained(count: int) -> list[ChainRow]:
    records = [
        (PLAN, v, 10 + v, "eenplan.domain.plan.events:NoteAdded", f"state {v}".encode())
        for v in range(1, count + 1)
    ]
    links = next_links((0, GENESIS), {}, records)
    rows = []
    for (pos, oid, version, nid, record_hash, chain_hash), record in zip(links, records, strict=True):
        previous = rows[-1] if rows else None
        rows.append(
            ChainRow(
                pos,
                oid,
                version,
                nid,
                record_hash,
                chain_hash,
                previous.chain_hash if previous else None,
                previous.record_hash if previous else None,
                StoredRecord(nid, record[3], record[4]),
            )
        )
    return rows


def test_untouched_rows_pass_every_check() -> None:
    assert [check_row(row) for row in chained(3)] == [None, None, None]


def test_the_same_records_after_another_head_get_other_chain_hashes() -> None:
    records = [(PLAN, 1, 1, "t", b"x")]
    assert next_links((0, GENESIS), {}, records)[0][5] != next_links((7, "a" * 64), {}, records)[0][5]


@pytest.mark.parametrize(
    ("change", "what"),
    [
        ({"state": b"state X"}, "differs from what was hashed"),
        ({"topic": "eenplan.domain.plan.events:GoalSet"}, "differs from what was hashed"),
        ({"notification_id": 99}, "reordered"),
    ],
)
def test_a_changed_record_is_named_with_what_differs(change: dict[str, Any], what: str) -> None:
    row = chained(3)[1]
    tampered = replace(row, event=replace(row.event, **change))
    broken = check_row(tampered)
    assert broken is not None and (broken.plan_id, broken.version, broken.position) == (PLAN, 2, 2)
    assert what in broken.what


def test_a_missing_event_or_missing_predecessor_is_named() -> None:
    row = chained(3)[2]
    assert "missing (deleted)" in (check_row(replace(row, event=None)) or _none()).what
    assert "version 2 is missing" in (check_row(replace(row, previous_record_hash=None)) or _none()).what


def test_an_anchor_reads_back_what_it_prints_and_refuses_garbage() -> None:
    anchor = Anchor(12, "ab" * 32)
    assert Anchor.parse(str(anchor)) == anchor
    with pytest.raises(ValueError, match="POSITION:HASH"):
        Anchor.parse("12")


def export_of(rows: list[ChainRow]) -> dict[str, Any]:
    records = [
        {"position": r.position, "originator_id": r.originator_id, "version": r.version,
         "notification_id": r.notification_id, "topic": r.event.topic if r.event else "",
         "state": base64.b64encode(r.event.state if r.event else b"").decode(), "record_hash": r.record_hash,
         "chain_hash": r.chain_hash, "previous_chain_hash": r.previous_chain_hash or GENESIS}
        for r in rows
    ]  # fmt: skip
    return {"format": FORMAT, "plan_id": PLAN, "records": records, "history": [{"version": 1}]}


def test_an_export_verifies_offline_and_an_edited_one_does_not() -> None:
    document = export_of(chained(4))
    assert verify_export(document) == (4, None)

    document["records"][2]["state"] = base64.b64encode(b"state 9").decode()
    checked, broken = verify_export(document)
    assert checked == 2 and broken is not None and broken.version == 3


def test_an_export_missing_a_record_or_showing_history_without_one_fails() -> None:
    document = export_of(chained(4))
    del document["records"][1]
    assert (verify_export(document)[1] or _none()).version == 3

    document = export_of(chained(2))
    document["history"].append({"version": 5})
    assert "no record" in (verify_export(document)[1] or _none()).what


def _none() -> Any:
    raise AssertionError("expected a broken link")
