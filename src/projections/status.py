"""How far behind each projection is: for `/ready`, OpenTelemetry gauges and read-your-writes.

Lag in seconds is how long the oldest event not yet applied has been waiting
(zero when caught up). Events per second is the processing rate of the last
batch, stored with the tracking row so any process can report it.

With a read replica, `replica_status` reports the same per projection as the
replica sees it (its tracking rows, against the primary's head), plus whether
WAL replay is paused and how old the last replayed change is.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from eventsourcing.application import Application
from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Meter, Observation

from eenplan.projections.db import ReadReplicaUnavailableError, ViewDB


class ProjectionLagError(Exception):
    """A projection did not reach the requested position in time (the API answers 503)."""

    def __init__(self, name: str, position: int, wanted: int) -> None:
        super().__init__(f"projection {name} is at position {position}, not yet at {wanted}; retry shortly")
        self.detail = str(self)


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    generation: int
    position: int
    head: int
    lag_events: int
    lag_seconds: float
    events_per_second: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ReplicaStatus:
    status: str  # "ready", or "unavailable" (reads it serves answer 503)
    detail: str | None = None
    replay_paused: bool | None = None
    # How old the last change the replica replayed is, while it has received WAL it has not
    # replayed yet; 0 when it has replayed all it received (also when the primary is idle).
    replay_lag_seconds: float | None = None
    projections: list[ProjectionStatus] | None = None  # as the replica sees them

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


REPLICATION_SQL = (
    "SELECT CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END,"
    " CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
    " ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END"
)


def replica_status(
    app: Application[Any], replica: ViewDB, names: Sequence[str], timeout: float
) -> ReplicaStatus:
    """The replica's replay state and projection positions; "unavailable" if it does not answer
    within `timeout` seconds (a pooled connection's wait)."""
    try:
        with replica.read(timeout) as tx:
            ((paused, lag),) = tx.rows(REPLICATION_SQL)
        found = statuses(app, replica, names)
    except ReadReplicaUnavailableError as error:
        return ReplicaStatus(status="unavailable", detail=error.detail)
    return ReplicaStatus(
        status="ready",
        replay_paused=paused,
        replay_lag_seconds=None if lag is None else round(float(lag), 3),
        projections=found,
    )


def positions(db: ViewDB, names: Sequence[str]) -> dict[str, tuple[int, int, float | None]]:
    """Name → (active generation, position, events per second)."""
    with db.read() as tx:
        rows = tx.rows(
            "SELECT p.name, p.generation, t.position, t.events_per_second FROM eenplan_projections p"
            " JOIN eenplan_projection_tracking t ON t.name = p.name AND t.generation = p.generation"
        )
    return {r[0]: (int(r[1]), int(r[2]), r[3]) for r in rows if r[0] in names}


def _waiting_since(app: Application[Any], position: int) -> float:
    following = app.recorder.select_notifications(position + 1, 1)
    if not following:
        return 0.0
    try:
        timestamp: datetime = app.mapper.to_domain_event(following[0]).timestamp  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - an undecodable event must not break /ready; its age is unknown
        return 0.0
    return max(0.0, (datetime.now(UTC) - timestamp).total_seconds())


def statuses(app: Application[Any], db: ViewDB, names: Sequence[str]) -> list[ProjectionStatus]:
    head = app.recorder.max_notification_id() or 0
    found = positions(db, names)
    result = []
    for name in names:
        generation, position, rate = found.get(name, (0, 0, None))
        lag = max(0, head - position)
        result.append(
            ProjectionStatus(
                name=name,
                generation=generation,
                position=position,
                head=head,
                lag_events=lag,
                lag_seconds=round(_waiting_since(app, position), 3) if lag else 0.0,
                events_per_second=round(rate, 1) if rate is not None else None,
            )
        )
    return result


def wait_for(db: ViewDB, names: Sequence[str], min_position: int, timeout: float) -> None:
    """Return once every named projection has applied `min_position`; else ProjectionLagError."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        found = positions(db, names)
        at = {n: found.get(n, (0, 0, None))[1] for n in names}
        behind = [(n, p) for n, p in at.items() if p < min_position]
        if not behind:
            return
        if time.monotonic() >= deadline:
            name, position = behind[0]
            raise ProjectionLagError(name, position, min_position)
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 2, 0.2)


def register_metrics(meter: Meter, report: Callable[[], list[ProjectionStatus]]) -> None:
    """Observable gauges per projection; read at collection time, labelled by projection."""

    def gauge(field: str) -> Callable[[CallbackOptions], list[Observation]]:
        def observe(options: CallbackOptions) -> list[Observation]:
            try:
                found = report()
            except Exception:  # noqa: BLE001 - a store outage must not break the metrics endpoint
                return []
            return [
                Observation(getattr(s, field), {"projection": s.name})
                for s in found
                if getattr(s, field) is not None
            ]

        return observe

    for field, unit, what in (
        ("position", "{event}", "last applied notification id"),
        ("head", "{event}", "last notification id in the store"),
        ("lag_events", "{event}", "events not yet applied"),
        ("lag_seconds", "s", "age of the oldest event not yet applied"),
        ("events_per_second", "{event}/s", "processing rate of the last batch"),
    ):
        meter.create_observable_gauge(
            f"eenplan.projection.{field}", callbacks=[gauge(field)], unit=unit, description=what
        )


_report: Callable[[], list[ProjectionStatus]] | None = None


def publish_metrics(report: Callable[[], list[ProjectionStatus]]) -> None:
    """Expose the gauges on the global meter provider, once per process, for the latest container."""
    global _report
    first = _report is None
    _report = report
    if first:
        register_metrics(metrics.get_meter("eenplan.projections"), _current)


def _current() -> list[ProjectionStatus]:
    return _report() if _report is not None else []
