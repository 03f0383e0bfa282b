"""The eenplan `eventsourcing` application: one method per command, one store.

Plans, the directory and member registrations share one event store, so one
notification log orders everything that happened, for projections and audit.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from eventsourcing.application import Application

from eenplan.domain.app.directory import DirectoryCommands
from eenplan.domain.app.intake import IntakeCommands
from eenplan.domain.app.membership import DirectoryMembership
from eenplan.domain.app.plans import Outcome, PlanCommands
from eenplan.domain.plan import HouseholdPlan

__all__ = ["Eenplan", "Outcome"]


class Eenplan(PlanCommands, DirectoryCommands, DirectoryMembership, IntakeCommands, Application[UUID]):
    name = "eenplan"
    # A snapshot every 50 plan events bounds a plan's load time however long it lives.
    snapshotting_intervals: ClassVar = {HouseholdPlan: 50}
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "2000"}
