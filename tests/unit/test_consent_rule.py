"""Who can consent for whom: the Dutch rule for children, on a household of one day."""

from __future__ import annotations

from datetime import date

import pytest

from eenplan.domain import errors
from eenplan.domain.plan.consent import check_givers
from eenplan.domain.plan.personal import ERASED

TODAY = date(2026, 12, 1)
HOUSEHOLD = {
    "mother": {"role": "parent", "birth_date": "1988-04-02"},
    "lodger": {"role": "adult", "birth_date": "1990-01-01"},
    "teen": {"role": "child", "birth_date": "2012-06-01"},  # 14
    "young": {"role": "child", "birth_date": "2018-06-01"},  # 8
    "eldest": {"role": "child", "birth_date": "2010-11-30"},  # 16 yesterday
}


@pytest.mark.parametrize(
    ("concerning", "given_by"),
    [
        (["mother"], ["mother"]),
        (["young"], ["mother"]),
        (["teen"], ["teen", "mother"]),
        (["eldest"], ["eldest"]),
        (["mother", "young", "teen"], ["mother", "teen"]),
    ],
)
def test_these_members_can_consent(concerning: list[str], given_by: list[str]) -> None:
    check_givers(HOUSEHOLD, concerning, given_by, TODAY)


@pytest.mark.parametrize(
    ("concerning", "given_by", "why"),
    [
        (["lodger"], ["mother"], "themselves"),  # an adult consents for themselves only
        (["young"], ["teen"], "parent or guardian"),  # a sibling is no guardian
        (["young"], ["young"], "parent or guardian"),  # under 12: the child alone cannot
        (["teen"], ["mother"], "themselves"),  # 12 to 15: the child as well
        (["teen"], ["teen"], "parent or guardian"),  # 12 to 15: a parent as well
        (["eldest"], ["mother"], "themselves"),  # 16 and over: the child decides
        (["mother"], ["stranger"], "not a current member"),
    ],
)
def test_these_members_cannot(concerning: list[str], given_by: list[str], why: str) -> None:
    with pytest.raises(errors.ConsentError, match=why):
        check_givers(HOUSEHOLD, concerning, given_by, TODAY)


def test_a_child_without_a_known_birth_date_cannot_be_consented_for() -> None:
    household = {**HOUSEHOLD, "unknown": {"role": "child", "birth_date": ERASED}}
    with pytest.raises(errors.ConsentError, match="birth date"):
        check_givers(household, ["unknown"], ["mother", "unknown"], TODAY)
