"""The projections, as the composition root wires them: one object the API and the CLI call.

Every read takes `min_position`: it first waits (bounded) until the views it
reads have applied that notification id, for read-your-writes after a command.

With a read replica (`reads`, EENPLAN_READ_DATABASE_URL) the API's view reads and
their waits go to the replica; the runner, rebuilds and allocation's regisseur
load use the primary (`db`). Why `min_position` still means read-your-writes:

1. The runner commits a batch's view rows and its tracking position in ONE
   transaction on the primary (tracking.Applier.next_batch).
2. Streaming replication replays the primary's WAL in order, and a hot standby
   makes each replayed commit visible atomically, in the primary's commit order.
   So a replica snapshot that shows a tracking position of at least N also shows
   every view row written up to N: the rows came with that position or before it.
3. The wait (`wait_for`) and the read that follows are two snapshots on the same
   server, the read's taken later; replay only moves forward, so the read sees at
   least what the wait saw. This needs the URL to name ONE replica: behind a
   balancer over several, the read could land on a replica further behind.

While replay lags (or is paused), a read with `min_position` waits for the
replica as it would for the runner, and answers 503 after the same timeout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from eventsourcing.application import Application

from eenplan.domain.app.ports import RegisseurLoad
from eenplan.domain.context import Actor
from eenplan.projections import aggregates, monitoring, queries
from eenplan.projections.db import ReplicaViewDB, ViewDB
from eenplan.projections.directory import DirectoryProjection
from eenplan.projections.households import HouseholdsProjection, suspected_duplicates
from eenplan.projections.plans import PlansProjection
from eenplan.projections.rebuild import Progress, rebuild
from eenplan.projections.runner import Runner
from eenplan.projections.status import (
    ProjectionLagError,
    ProjectionStatus,
    ReplicaStatus,
    replica_status,
    statuses,
    wait_for,
)
from eenplan.projections.tracking import Projection, ensure_schema


@dataclass(frozen=True)
class ProjectionConfig:
    poll_interval: float = 1.0
    batch_size: int = 500
    apply_delay: float = 0.0  # test-only
    read_timeout: float = 5.0
    # How long /ready waits for a connection to the read replica before calling it unavailable.
    replica_status_timeout: float = 1.0


class Projections:
    def __init__(
        self,
        app: Application[Any],
        store_env: dict[str, str],
        config: ProjectionConfig,
        pseudonym_key: bytes,
        replica: ReplicaViewDB | None = None,
    ) -> None:
        self.app = app
        self.config = config
        self.db = ViewDB(store_env)
        self.replica = replica
        # Where the API's view reads and their `min_position` waits go (see the module's note).
        self.reads: ViewDB = replica or self.db
        views = (PlansProjection(), DirectoryProjection(), HouseholdsProjection(pseudonym_key))
        self.all: dict[str, Projection] = {p.name: p for p in views}

    def ensure_schema(self) -> None:
        for projection in self.all.values():
            ensure_schema(self.db, projection)

    def unknown(self, names: list[str]) -> list[str]:
        return [n for n in names if n not in self.all]

    def runner(self, names: list[str] | None = None) -> Runner:
        chosen = [self.all[n] for n in (names or list(self.all))]
        c = self.config
        return Runner(
            self.app,
            self.db,
            chosen,
            poll_interval=c.poll_interval,
            batch_size=c.batch_size,
            apply_delay=c.apply_delay,
        )

    def rebuild(self, name: str, progress: Progress | None = None) -> int:
        return rebuild(
            self.app, self.db, self.all[name], batch_size=max(self.config.batch_size, 1000), progress=progress
        )

    def status(self) -> list[ProjectionStatus]:
        return statuses(self.app, self.db, list(self.all))

    def replica_status(self) -> ReplicaStatus | None:
        """The read replica's replay state and projection positions; None without a replica."""
        if self.replica is None:
            return None
        return replica_status(self.app, self.replica, list(self.all), self.config.replica_status_timeout)

    def wait(self, min_position: int | None) -> None:
        """Wait until the views that will serve the read (the replica's, if any) applied `min_position`."""
        if min_position:
            wait_for(self.reads, list(self.all), min_position, self.config.read_timeout)

    # --- reads --------------------------------------------------------------------------

    def plans(
        self,
        actor: Actor,
        f: queries.Filters,
        cursor: str | None,
        limit: int,
        min_position: int | None = None,
    ) -> queries.Page:
        return self._paged(queries.list_plans, actor, f, cursor, limit, min_position)

    def caseload(
        self,
        actor: Actor,
        f: queries.Filters,
        cursor: str | None,
        limit: int,
        min_position: int | None = None,
    ) -> queries.Page:
        return self._paged(queries.caseload, actor, f, cursor, limit, min_position)

    def _paged(
        self,
        read: Callable[..., queries.Page],
        actor: Actor,
        f: queries.Filters,
        cursor: str | None,
        limit: int,
        min_position: int | None,
    ) -> queries.Page:
        """One statement per page: it reports the views' position, so waiting for `min_position`
        costs nothing more when they have applied it (else: wait as every read does, read again).
        On the read replica, when one is set: the page and the position it reports are one snapshot."""
        page: queries.Page = read(
            self.reads, actor, date.today(), f, cursor, limit, positions_of=list(self.all)
        )
        if min_position and page.position < min_position:
            self.wait(min_position)
            page = read(self.reads, actor, date.today(), f, cursor, limit, positions_of=list(self.all))
        return page

    def dashboard(self, actor: Actor, team_id: str, min_position: int | None = None) -> dict[str, Any]:
        self.wait(min_position)
        return aggregates.dashboard(self.reads, actor, team_id, date.today())

    def monitoring(
        self, actor: Actor, tenant: str, start: date, end: date, min_position: int | None = None
    ) -> dict[str, Any]:
        self.wait(min_position)
        return monitoring.monitoring(self.reads, actor, tenant, start, end)

    def suspected_duplicates(self, tenant: str, min_position: int | None = None) -> list[dict[str, Any]]:
        """Pairs of open plans of the tenant that hold the same person (the `households` view)."""
        self.wait(min_position)
        with self.reads.read() as tx:
            rows = tx.rows("SELECT generation FROM eenplan_projections WHERE name = 'households'")
        tables = self.all["households"].names(int(rows[0][0]))
        return suspected_duplicates(self.reads, tables, tenant)

    def regisseur_load(self, tenant: str) -> dict[str, int]:
        """Open plans per regisseur in the tenant (on the primary: allocation is part of a command)."""
        return queries.regisseur_load(self.db, tenant)

    def current_regisseur_load(self, fallback: RegisseurLoad, wait: float = 0.2) -> RegisseurLoad:
        """`regisseur_load` once the view has applied the whole log (briefly waited for); else `fallback`.

        Allocation must count the plan opened a moment ago, so a lagging view is not used.
        """

        def load(tenant: str) -> dict[str, int]:
            head = self.app.recorder.max_notification_id() or 0
            try:
                wait_for(self.db, ["plans"], head, wait)
            except ProjectionLagError:
                return fallback(tenant)
            return self.regisseur_load(tenant)

        return load

    def close(self) -> None:
        self.db.close()
        if self.replica is not None:
            self.replica.close()
