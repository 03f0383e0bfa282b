"""The eenplan `eventsourcing` application: one store, and a typed collaborator per area.

Plans, the directory, intake and signals share one event store, so one notification log
orders everything that happened, for projections and audit. Each area is a class of its
own that names what it works with (`Plans` takes the `Directory`, `Intake` takes `Plans`);
what the domain asks of the world outside (write policy, retrying writers, shredding) is
in `Ports`, filled by the composition root.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent, Repository
from eventsourcing.utils import EnvType

from eenplan.domain.app.directory import Directory
from eenplan.domain.app.households import Households
from eenplan.domain.app.intake import Intake
from eenplan.domain.app.plans import Outcome, Plans
from eenplan.domain.app.ports import Ports
from eenplan.domain.app.reorganise import Reorganisations
from eenplan.domain.app.repository import OwningRepository
from eenplan.domain.app.scan import LogScans
from eenplan.domain.app.signals import Signals
from eenplan.domain.plan import HouseholdPlan

__all__ = ["Eenplan", "Outcome", "Ports"]


class Eenplan(Application[UUID]):
    name = "eenplan"
    # A snapshot every 50 plan events bounds a plan's load time however long it lives.
    snapshotting_intervals: ClassVar = {HouseholdPlan: 50}
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "2000"}
    # An adapter may run an area with more around it (api/telemetry: a span per command).
    directory_class: ClassVar[type[Directory]] = Directory
    plans_class: ClassVar[type[Plans]] = Plans

    def __init__(self, env: EnvType | None = None) -> None:
        super().__init__(env)
        self.ports = Ports()
        self.scans = LogScans(self)
        self.directory = self.directory_class(self, self.ports)
        self.households = Households(self, self.directory, self.scans, self.ports)
        self.plans = self.plans_class(self, self.directory, self.scans, self.ports, self.households)
        self.signals = Signals(self, self.directory, self.scans, self.ports)
        self.intake = Intake(self, self.directory, self.scans, self.ports, self.plans)
        self.reorganisations = Reorganisations(self, self.directory, self.scans, self.ports)

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """A snapshot when a save passes a multiple of the interval, of the aggregate as saved.

        The library would rebuild the aggregate at that version from the store instead: every
        event since the last snapshot read, decrypted and replayed, half the CPU of a batch of a
        hundred commands. The aggregate just saved is that state, replayed through the same
        `mutate`s, at its new version; a snapshot is a cache of the state at its version, so it
        serves every later read as well (tests/integration/test_replay.py)."""
        if not (self.snapshots and self.snapshotting_intervals):
            return
        due: dict[UUID, Any] = {}
        for event in processing_event.events:
            aggregate = processing_event.aggregates.get(event.originator_id)
            interval = self.snapshotting_intervals.get(type(aggregate)) if aggregate is not None else None
            if interval is not None and event.originator_version % interval == 0:
                due[event.originator_id] = aggregate
        for aggregate in due.values():
            snapshot_class: Any = getattr(type(aggregate), "Snapshot", type(self).snapshot_class)
            self.snapshots.put([snapshot_class.take(aggregate)])

    def construct_repository(self) -> Repository[UUID]:
        """eventsourcing's repository, as configured, from which a plan command takes its plan."""
        plain = super().construct_repository()
        repository = OwningRepository(
            event_store=plain.event_store,
            snapshot_store=plain.snapshot_store,
            fastforward=plain.fastforward,
            fastforward_skipping=plain.fastforward_skipping,
            deepcopy_from_cache=plain.deepcopy_from_cache,
        )
        repository.cache = plain.cache
        return repository
