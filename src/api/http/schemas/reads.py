"""Query parameters of the read paths, bounded so that a hostile value is a 422, never a 500."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator, AwareDatetime

# The stores keep versions and positions as signed 64-bit integers.
MAX_INT64 = 2**63 - 1
ORGANISATION_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"


def _in_utc(value: datetime | None) -> datetime | None:
    """The moment in UTC; year 1 at +14:00 has no UTC time, and the replay compares in UTC."""
    if value is None:
        return None
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("this moment lies outside the calendar once placed in UTC") from None


# Days a report can be about; outside them, date arithmetic (a year back) leaves the calendar.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def _plausible(value: date | None) -> date | None:
    if value is not None and not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"a day from {FIRST_DAY} to {LAST_DAY}")
    return value


Day = Annotated[date | None, AfterValidator(_plausible)]
# What the schema says of a Day: years 1900 to 2999, as `_plausible` checks.
DAY_SCHEMA = {"pattern": r"^(19[0-9]{2}|2[0-9]{3})-"}
Version = Annotated[int | None, Query(ge=1, le=MAX_INT64, description="replay to this version")]
AsOf = Annotated[
    AwareDatetime | None,
    AfterValidator(_in_utc),
    Query(description="replay to this moment (ISO 8601 with offset); not in the future"),
]
AsSeenBy = Annotated[
    str | None,
    Query(
        pattern=ORGANISATION_ID,
        description="auditors: an organisation of the plan's tenant, as it could see the plan then",
    ),
]
Position = Annotated[int, Query(ge=0, le=MAX_INT64, description="a position in the event log")]
