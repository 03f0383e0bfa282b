"""Projection workers as real processes: killed mid-batch, losing their LISTEN connection,
handing a projection over when one dies. Waits are bounded polls, never timing assertions."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import psycopg
import pytest

from eenplan.api.bootstrap import Container, build
from eenplan.api.settings import Settings
from eenplan.projections.db import lock_key
from eenplan.projections.rebuild import rebuild
from eenplan.projections.runner import LISTEN_APPLICATION_NAME, LOCK_APPLICATION_NAME
from tests.conftest import STORE
from tests.factories import World, command, make_world
from tests.integration.projection_helpers import active, snapshot
from tests.processes import started, stop, until, worker

postgres_only = pytest.mark.skipif(
    STORE != "postgres", reason="LISTEN/NOTIFY and advisory locks exist only on PostgreSQL"
)


@pytest.fixture
def container(settings: Settings) -> Iterator[Container]:
    c = build(settings.model_copy(update={"projections_in_process": False}))
    yield c
    c.close()


def fill(container: Container, plans: int) -> World:
    world = make_world(container.eenplan)
    who = world.pros[world.orgs["welfare"]][0]
    for _ in range(plans):
        plan_id = world.open(who, risk_level="low").plan_id
        world.app.plans.execute(
            world.ctx(who), plan_id, command(type="add_note", category="general", text="x")
        )
    return world


def head(container: Container) -> int:
    return int(container.eenplan.recorder.max_notification_id() or 0)


def test_a_worker_killed_mid_batch_resumes_to_the_same_view_as_a_rebuild(
    container: Container, settings: Settings
) -> None:
    fill(container, plans=40)
    db, projection = container.projections.db, container.projections.all["plans"]
    slow = worker(settings, "plans", projection_batch_size="40", projection_apply_delay_seconds="0.02")
    try:
        until(lambda: active(db, "plans")[1] > 0, what="the first batch to commit")
    finally:
        slow.send_signal(signal.SIGKILL)  # inside the next batch's transaction: it sleeps per event
        slow.wait()
    assert 0 < active(db, "plans")[1] < head(container), "the kill must leave work undone"

    again = worker(settings, "plans")
    try:
        until(lambda: active(db, "plans")[1] == head(container), what="the restarted worker to catch up")
    finally:
        stop(again)
    generation = active(db, "plans")[0]
    fresh = rebuild(container.eenplan, db, projection)
    assert snapshot(db, projection, generation) == snapshot(db, projection, fresh)


def backends(settings: Settings, application_name: str) -> list[int]:
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND datname = current_database()",
            (application_name,),
        ).fetchall()
    return [int(r[0]) for r in rows]


@postgres_only
def test_the_view_catches_up_after_the_listen_connection_is_killed(
    container: Container, settings: Settings
) -> None:
    world = fill(container, plans=1)
    poll_interval = 1.0
    runner = container.projections.runner()
    runner.poll_interval = poll_interval
    runner.start()
    try:
        until(lambda: backends(settings, LISTEN_APPLICATION_NAME) != [], what="the listener")
        (listener,) = backends(settings, LISTEN_APPLICATION_NAME)
        who = world.pros[world.orgs["welfare"]][0]
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", (listener,))
        for _ in range(5):  # events keep coming while the listener is gone
            world.open(who)
        until(
            lambda: active(container.projections.db, "plans")[1] == head(container),
            timeout=3 * poll_interval + 2,
            what="catching up within the polling interval",
        )
        until(
            lambda: backends(settings, LISTEN_APPLICATION_NAME) not in ([], [listener]), what="a new listener"
        )
    finally:
        runner.stop()


@postgres_only
def test_two_workers_never_run_one_projection_and_a_survivor_takes_over(
    container: Container, settings: Settings
) -> None:
    world = fill(container, plans=1)
    workers = {p.pid: p for p in (worker(settings), worker(settings))}
    db = container.projections.db
    try:
        until(lambda: all(started(settings, p) for p in workers.values()), what="both workers running")
        projections = len(container.projections.all)  # plans, directory, households
        until(lambda: len(lock_holders(settings)) == projections, what="every projection locked")
        holders = lock_holders(settings)
        assert all(len(pids) == 1 for pids in holders.values()), "one worker per projection"
        victim = workers[holders[lock_key("plans")][0]]
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        world.open(world.pros[world.orgs["welfare"]][0])
        until(lambda: active(db, "plans")[1] == head(container), what="the survivor to apply new events")
        survivor = next(pid for pid in workers if pid != victim.pid)
        assert lock_holders(settings)[lock_key("plans")] == [survivor]
    finally:
        for process in workers.values():
            stop(process)


def lock_holders(settings: Settings) -> dict[int, list[int]]:
    """Advisory lock key → worker process ids holding it in this test's database (the pid is in the
    session's name; advisory locks are per database, and other databases may have workers too)."""
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT (l.classid::bigint << 32) | l.objid::bigint, a.application_name FROM pg_locks l"
            " JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE %s"
            " AND a.datname = current_database()",
            (LOCK_APPLICATION_NAME + ":%",),
        ).fetchall()
    holders: dict[int, list[int]] = {}
    for key, name in rows:
        holders.setdefault(int(key), []).append(int(name.rpartition(":")[2]))
    return holders


@postgres_only
def test_every_save_notifies_the_listeners_even_once_its_statements_are_prepared(
    container: Container, settings: Settings
) -> None:
    """The recorder's NOTIFY (chain.py sends it unprepared) reaches a listener after each of more
    saves than psycopg's threshold for preparing a statement (5)."""
    world = fill(container, 1)
    who = world.pros[world.orgs["welfare"]][0]
    plan_id = world.open(who, risk_level="low").plan_id
    channel = container.eenplan.recorder.channel_name
    with psycopg.connect(settings.database_url, autocommit=True) as listener:
        listener.execute(psycopg.sql.SQL("LISTEN {}").format(psycopg.sql.Identifier(channel)))
        for n in range(8):
            world.app.plans.execute(
                world.ctx(who), plan_id, command(type="add_note", category="general", text=f"n{n}")
            )
            heard = list(listener.notifies(timeout=10, stop_after=1))
            assert [note.channel for note in heard] == [channel], f"save {n + 1} was not heard"
