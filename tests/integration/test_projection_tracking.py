"""Following the log exactly once on a real store (SQLite and PostgreSQL): positions, concurrent
appliers, gaps in notification ids, blue-green rebuild under reads, lag, metrics, read-your-writes."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from eenplan.api.bootstrap import Container, build_application
from eenplan.api.settings import Settings
from eenplan.domain.plan.events import RiskAssessed
from eenplan.projections.plans import PlansProjection
from eenplan.projections.queries import Filters, list_plans
from eenplan.projections.rebuild import rebuild
from eenplan.projections.status import ProjectionLagError, register_metrics
from eenplan.projections.tracking import Applier, Handler
from tests.conftest import STORE
from tests.factories import World, command, make_world
from tests.integration.projection_helpers import active, actor, catch_up, regisseur, snapshot


def note(world: World, plan_id: str) -> None:
    world.app.plans.execute(
        world.ctx(regisseur(world)), plan_id, command(type="add_note", category="general", text="x")
    )


def head(container: Container) -> int:
    return int(container.eenplan.recorder.max_notification_id() or 0)


def test_every_projection_moves_past_events_it_does_not_handle(container: Container, world: World) -> None:
    world.open(regisseur(world))
    catch_up(container.projections)
    # The directory projection handles no plan events, the plans projection no directory events.
    assert active(container.projections.db, "directory")[1] == head(container)
    assert active(container.projections.db, "plans")[1] == head(container)


def test_concurrent_appliers_apply_each_event_exactly_once(container: Container, world: World) -> None:
    for _ in range(12):
        note(world, world.open(regisseur(world)).plan_id)
    projection = container.projections.all["plans"]
    errors: list[Exception] = []

    def apply_all() -> None:
        applier = Applier(container.eenplan, container.projections.db, projection, batch_size=5)
        try:
            while not applier.active_batch().caught_up:
                pass
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=apply_all) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    generation, position = active(container.projections.db, "plans")
    assert position == head(container)
    live = snapshot(container.projections.db, projection, generation)
    fresh = rebuild(container.eenplan, container.projections.db, projection)
    assert snapshot(container.projections.db, projection, fresh) == live


def _gap_by_conflict(settings: Settings, world: World, plan_id: str) -> None:
    """Two writers save the same plan version: the loser's insert is rolled back."""
    first, second = build_application(settings), build_application(settings)
    try:
        stale = [app.repository.get(plan_id_uuid(plan_id)) for app in (first, second)]
        ctx = world.ctx(regisseur(world))
        for plan in stale:
            plan.add_note(ctx, "general", "x")
        first.save(stale[0])
        with pytest.raises(IntegrityError):
            second.save(stale[1])
    finally:
        first.close()
        second.close()


def plan_id_uuid(plan_id: str) -> Any:
    from uuid import UUID

    return UUID(plan_id)


def _gap_by_deleted_rows(container: Container, world: World, plan_id: str) -> None:
    """SQLite reuses no rowid below the maximum: rows written and removed leave a gap."""
    db, table = container.projections.db, container.eenplan.recorder.events_table_name  # type: ignore[attr-defined]
    start = head(container)
    with db.write() as tx:
        for offset in (1, 2, 3):
            tx.execute(
                f"INSERT INTO {table} (rowid, originator_id, originator_version, topic, state)"
                " VALUES (?, ?, 1, 'tests:Filler', x'00')",
                (start + offset, f"filler-{offset}"),
            )
    note(world, plan_id)
    with db.write() as tx:
        tx.execute(f"DELETE FROM {table} WHERE topic = 'tests:Filler'")


def notification_ids(container: Container) -> list[int]:
    return [n.id for n in container.eenplan.recorder.select_notifications(1, 100_000)]


def test_gaps_in_notification_ids_neither_stall_nor_skip_later_events(
    container: Container, world: World, settings: Settings
) -> None:
    plan_id = world.open(regisseur(world)).plan_id
    catch_up(container.projections)
    _gap_by_conflict(settings, world, plan_id)
    if STORE == "sqlite":
        _gap_by_deleted_rows(container, world, plan_id)
    world.app.plans.execute(
        world.ctx(regisseur(world)), plan_id, command(type="assess_risk", level="high", rationale="x")
    )
    ids = notification_ids(container)
    assert ids != list(range(ids[0], ids[-1] + 1)), "the test must leave a gap in the notification ids"

    catch_up(container.projections)
    assert active(container.projections.db, "plans")[1] == ids[-1]
    (row,) = list_plans(
        container.projections.db, world.ctx(regisseur(world)).actor, date.today(), Filters()
    ).items
    assert row["risk_level"] == "high"
    assert row["version"] == world.app.plans.plan(world.ctx(regisseur(world)).actor, plan_id).version


def test_a_rebuild_swaps_in_a_complete_view_while_reads_never_fail_or_come_back_empty(
    container: Container, world: World
) -> None:
    plans = [world.open(regisseur(world)).plan_id for _ in range(25)]
    catch_up(container.projections)
    db, projection = container.projections.db, container.projections.all["plans"]
    old_generation = active(db, "plans")[0]
    reader = actor("auditor-1", "gemeente", "auditor", tenants=(world.tenant,))
    counts: list[int] = []
    failures: list[Exception] = []
    done = threading.Event()

    def keep_reading() -> None:
        while not done.is_set():
            try:
                counts.append(len(list_plans(db, reader, date.today(), Filters(), limit=200).items))
            except Exception as error:  # noqa: BLE001 - collected and asserted below
                failures.append(error)

    thread = threading.Thread(target=keep_reading)
    thread.start()
    try:
        new_generation = rebuild(container.eenplan, db, projection, batch_size=7)
        while len(counts) < 3:  # make sure reads also ran after the swap
            done.wait(0.01)
    finally:
        done.set()
        thread.join()
    assert failures == []
    assert counts and set(counts) == {len(plans)}
    assert active(db, "plans")[0] == new_generation != old_generation
    assert snapshot(db, projection, new_generation) == snapshot(db, projection, old_generation)


def test_lag_reports_position_head_events_and_seconds(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Events stamped in the past: the directory five minutes ago, the plan two. Lag in seconds is
    # the age of the oldest event not yet applied, so five minutes, not two and not zero.
    stamp = {"at": datetime.now(UTC) - timedelta(minutes=5)}
    monkeypatch.setattr("eventsourcing.domain.datetime_now_with_tzinfo", lambda: stamp["at"])
    world = make_world(container.eenplan)
    stamp["at"] = datetime.now(UTC) - timedelta(minutes=2)
    world.open(regisseur(world))
    monkeypatch.undo()
    behind = {s.name: s for s in container.projections.status()}
    assert behind["plans"].lag_events == head(container) > 0
    assert 300 <= behind["plans"].lag_seconds < 360
    catch_up(container.projections)
    caught_up = {s.name: s for s in container.projections.status()}
    assert (caught_up["plans"].position, caught_up["plans"].lag_events) == (head(container), 0)
    assert caught_up["plans"].lag_seconds == 0
    assert caught_up["plans"].events_per_second is not None


def test_lag_is_published_as_opentelemetry_gauges(container: Container, world: World) -> None:
    world.open(regisseur(world))
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("test")
    register_metrics(meter, container.projections.status)
    data = reader.get_metrics_data()
    assert data is not None
    points = {
        (metric.name, point.attributes["projection"]): point.value
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        for point in metric.data.data_points
    }
    assert points[("eenplan.projection.lag_events", "plans")] == head(container)
    assert points[("eenplan.projection.head", "directory")] == head(container)


def test_read_your_writes_waits_for_the_runner_and_gives_up_after_the_timeout(
    container: Container, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome = world.open(regisseur(world))
    # Nobody applies: the wait lasts the configured timeout (half a second here, not the default
    # five), then gives up (a 503 over HTTP).
    projections = container.projections
    monkeypatch.setattr(projections, "config", replace(projections.config, read_timeout=0.5))
    started = time.monotonic()
    with pytest.raises(ProjectionLagError):
        projections.wait(head(container) + 1_000)
    assert time.monotonic() - started >= 0.5
    monkeypatch.undo()  # the runner below, and the wait for it, have the usual timeout
    runner = container.projections.runner()
    runner.start()
    try:
        me = world.ctx(regisseur(world)).actor
        page = container.projections.plans(me, Filters(), None, 10, min_position=outcome.position)
    finally:
        runner.stop()
    assert [r["plan_id"] for r in page.items] == [outcome.plan_id]


class FailingOnRisk(PlansProjection):
    """The plans projection with a bug: it cannot apply a risk assessment."""

    def handlers(self) -> dict[type, Handler]:
        def broken(*args: object) -> None:
            raise RuntimeError("bug in a handler")

        return super().handlers() | {RiskAssessed: broken}


def test_a_batch_that_fails_half_way_leaves_neither_rows_nor_position(
    container: Container, world: World
) -> None:
    world.open(regisseur(world))
    world.open(regisseur(world), risk_level="high")  # the second plan's risk event breaks the batch
    db, projection = container.projections.db, FailingOnRisk()
    generation = active(db, "plans")[0]
    applier = Applier(container.eenplan, db, projection, batch_size=1000)
    with pytest.raises(RuntimeError):
        applier.active_batch()
    assert active(db, "plans")[1] == 0
    assert snapshot(db, projection, generation)["plans"] == []


def test_the_runner_follows_the_swap_and_keeps_applying_into_the_new_generation(
    container: Container, world: World
) -> None:
    world.open(regisseur(world))
    db, projection = container.projections.db, container.projections.all["plans"]
    runner = container.projections.runner()
    runner.poll_interval = 0.1
    runner.start()
    try:
        new_generation = rebuild(container.eenplan, db, projection)
        latest = world.open(regisseur(world))
        container.projections.wait(latest.position)
    finally:
        runner.stop()
    assert active(db, "plans") == (new_generation, head(container))
    me = world.ctx(regisseur(world)).actor
    assert latest.plan_id in [r["plan_id"] for r in list_plans(db, me, date.today(), Filters()).items]
