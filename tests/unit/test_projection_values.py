"""Pure parts of the projections: cursors, waiting-time statistics, small-cell suppression, lock keys."""

from __future__ import annotations

import pytest

from eenplan.projections.aggregates import waiting
from eenplan.projections.db import lock_key
from eenplan.projections.monitoring import Cells
from eenplan.projections.queries import InvalidCursorError, decode_cursor, encode_cursor


def test_a_cursor_round_trips_and_a_forged_one_is_refused() -> None:
    cursor = encode_cursor({"opened_at": "2026-01-01T10:00:00+00:00", "plan_id": "p-1"})
    assert decode_cursor(cursor) == ("2026-01-01T10:00:00+00:00", "p-1")
    for forged in ("nonsense", encode_cursor({"opened_at": 1, "plan_id": "x"})[:-2], "W10"):
        with pytest.raises(InvalidCursorError):
            decode_cursor(forged)


def test_waiting_times_give_median_and_90th_percentile_in_days() -> None:
    assert waiting([]) == {"count": 0, "median_days": None, "p90_days": None}
    result = waiting([float(d) for d in range(1, 11)])
    assert (result["count"], result["median_days"], result["p90_days"]) == (10, 5.5, 9.1)


def test_a_cell_under_five_households_is_suppressed_however_many_items_it_counts() -> None:
    cells = Cells()
    for n in range(12):
        cells.add("agreement:on_time", f"plan-{n % 4}")  # 12 agreements, 4 households
        cells.add("opened", f"plan-{n}")
    assert cells.value("agreement:on_time") is None
    assert cells.value("opened") == 12
    assert cells.report()["median_duration_days"] is None


def test_advisory_lock_keys_are_stable_distinct_and_fit_a_bigint() -> None:
    assert lock_key("plans") == lock_key("plans") != lock_key("directory")
    assert 0 < lock_key("plans") < 2**63
