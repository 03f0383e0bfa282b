"""The console's list of plans past their retention term: closed plans of the caller's tenants
whose term has run out and that are not erased yet, on the real stores."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from eenplan.api.bootstrap import build
from eenplan.api.settings import Settings
from eenplan.privacy import retention, rights
from tests.factories import command, ctx_for
from tests.integration.test_erasure import open_household


def test_a_closed_plan_is_listed_once_its_term_has_passed_and_not_after_it_is_erased(
    settings: Settings,
) -> None:
    container = build(settings)
    try:
        plan_id, _first, _second, pro, org = open_household(container)  # Jeugdwet: 20 years
        container.eenplan.plans.execute(
            ctx_for(pro, org), plan_id, command(type="close_plan", reason="klaar")
        )
        tenants = frozenset({"GM0687"})
        assert retention.overdue(container.privacy, tenants, date.today()) == []
        nineteen = (datetime.now(UTC) + timedelta(days=366 * 19)).date()
        assert retention.overdue(container.privacy, tenants, nineteen) == []
        later = (datetime.now(UTC) + timedelta(days=366 * 20 + 2)).date()
        (listed,) = retention.overdue(container.privacy, tenants, later)
        assert (
            listed["plan_id"] == plan_id
            and listed["legal_basis"] == "jeugdwet"
            and listed["term_years"] == 20
        )
        assert listed["closed_on"] == datetime.now(UTC).date().isoformat()
        assert retention.overdue(container.privacy, frozenset({"GM0363"}), later) == []  # another tenant's
        rights.expire(container.privacy, ctx_for("retention", "eenplan", "privacy_officer"), later)
        assert retention.overdue(container.privacy, tenants, later) == []
    finally:
        container.close()
