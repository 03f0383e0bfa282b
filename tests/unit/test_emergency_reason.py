"""The rule for a stated reason: break the glass, or review it, only with a reason that says something."""

from __future__ import annotations

import pytest

from eenplan.domain.errors import TrivialReasonError
from eenplan.privacy.emergency import stated_reason


@pytest.mark.parametrize(
    "reason",
    [
        "abc",
        "",
        "   ",
        "acuut gevaar",  # two words, too short
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "abcabcabcabcabcabcabcabcabc",
        "ab ab ab ab ab ab ab ab ab ab",
        "spoed spoed spoed spoed spoed",
        "1234567890 1234567890 1234567890",
        "x y z q w e r t y u i o p a s d",  # many one-letter words
    ],
)
def test_a_reason_that_says_nothing_is_refused_with_the_rule_in_the_detail(reason: str) -> None:
    with pytest.raises(TrivialReasonError) as refused:
        stated_reason(reason)
    assert "at least 20 characters and 3 different words" in refused.value.detail


def test_a_reason_that_says_something_is_kept_with_its_spacing_tidied() -> None:
    stated = stated_reason("  Acuut gevaar:   kind alleen thuis,\n moeder onbereikbaar ")
    assert stated == "Acuut gevaar: kind alleen thuis, moeder onbereikbaar"
