"""The household plan: its aggregate, events and personal-data metadata."""

from eenplan.domain.plan.aggregate import HouseholdPlan

__all__ = ["HouseholdPlan"]
