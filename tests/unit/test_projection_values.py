"""Pure parts of the projections: cursors, waiting-time statistics, monitoring rounding, lock keys."""

from __future__ import annotations

import pytest

from eenplan.projections.aggregates import waiting
from eenplan.projections.db import lock_key
from eenplan.projections.monitoring import Tally, report, rounded
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


def test_counts_round_to_the_nearest_multiple_of_five_and_a_zero_shows_as_null() -> None:
    assert [rounded(n) for n in range(14)] == [0, 0, 0, 5, 5, 5, 5, 5, 10, 10, 10, 10, 10, 15]
    tally = Tally()
    for n in range(12):
        tally.add("agreement", "on_time")  # 12 agreements: 10
        tally.add("opened", "low", "wmo2015" if n < 2 else "jeugdwet")  # 2 round to 0, 10 stay 10
    figures = report(tally.rounded(), tally.durations)
    assert figures["agreements_completed"] == {"on_time": 10, "late": None}
    opened = figures["plans_opened"]
    assert (opened["total"], opened["by_risk"]["low"], opened["by_legal_basis"]["wmo2015"]) == (10, 10, None)
    assert figures["median_duration_days"] is None


def test_advisory_lock_keys_are_stable_distinct_and_fit_a_bigint() -> None:
    assert lock_key("plans") == lock_key("plans") != lock_key("directory")
    assert 0 < lock_key("plans") < 2**63
