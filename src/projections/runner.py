"""The runner: follows the notification log and keeps every projection up to date.

It polls `select_notifications` every `poll_interval` seconds (the SQLite
recorder has no `subscribe()`). On PostgreSQL a listener thread also LISTENs
on the event table's channel and wakes the runner at once on NOTIFY. When the
listen connection dies the runner does not notice or care: it keeps polling,
and the listener reconnects in the background (eventsourcing issue #305 was a
subscription that stalled when its listen connection died).

On PostgreSQL each projection is guarded by a session advisory lock, so of
several runners (API workers, `eenplan project run` workers) one applies a
projection at a time; when its process dies, the lock goes with the session
and a waiting runner takes over. The lock saves work; exactly-once does not
depend on it (see `projections.tracking`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from typing import Any

import psycopg
import structlog
from eventsourcing.application import Application

from eenplan.privacy.keys import fresh_keys
from eenplan.projections.db import ViewDB, lock_key
from eenplan.projections.tracking import Applier, Fetched, Projection, tracking_serving

log = structlog.get_logger("eenplan.projections")
LISTEN_APPLICATION_NAME = "eenplan-projections-listen"
LOCK_APPLICATION_NAME = "eenplan-projections-lock"
# How often the lock session is checked for life (a round trip), at most: a batch applied on a
# lock that died meanwhile is still exactly-once (the position's compare-and-set), only not alone.
LIVENESS_SECONDS = 1.0


class _Locks:
    """Session advisory locks on one dedicated connection (PostgreSQL only)."""

    def __init__(self, db: ViewDB) -> None:
        self.db = db
        self.conn: psycopg.Connection[Any] | None = None
        self.held: set[str] = set()
        self.checked = 0.0  # when the lock session was last seen alive

    def holds(self, name: str) -> bool:
        if not self.db.is_postgres:
            return True
        try:
            if self.conn is None or self.conn.closed:
                self.held.clear()
                # The pid in the session name tells operators which worker holds which lock.
                self.conn = self.db.connect(f"{LOCK_APPLICATION_NAME}:{os.getpid()}")
            if name not in self.held:
                row = self.conn.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(name),)).fetchone()
                if row and row[0]:
                    self.held.add(name)
                    log.info("projection_lock_taken", projection=name)
            elif time.monotonic() - self.checked > LIVENESS_SECONDS:
                self.conn.execute("SELECT 1")  # a dead session means the lock is gone
                self.checked = time.monotonic()
        except psycopg.Error:
            self.close()
        return name in self.held

    def close(self) -> None:
        self.held.clear()
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Runner:
    """Applies the log to the given projections until stopped; in a thread or in the foreground."""

    def __init__(
        self,
        app: Application[Any],
        db: ViewDB,
        projections: Sequence[Projection],
        *,
        poll_interval: float = 1.0,
        batch_size: int = 500,
        apply_delay: float = 0.0,
    ) -> None:
        self.app, self.db = app, db
        self.appliers = [Applier(app, db, p, batch_size, apply_delay) for p in projections]
        self.poll_interval = poll_interval
        self.stopped = threading.Event()
        self.wake = threading.Event()
        self.locks = _Locks(db)
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Run in background threads (inside `eenplan serve`)."""
        self._spawn(self.run_forever, "eenplan-projections")

    def _spawn(self, target: Any, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self.stopped.set()
        self.wake.set()
        for thread in self._threads:
            thread.join(timeout)

    def run_forever(self) -> None:
        if self.db.is_postgres:
            self._spawn(self._listen, "eenplan-projections-listen")
        try:
            while not self.stopped.is_set():
                self.wake.clear()
                if not self.run_once():
                    self.wake.wait(self.poll_interval)
        finally:
            self.locks.close()

    def run_once(self) -> bool:
        """One batch per projection this runner may apply; True when any had more to do.

        The projections share the round's notifications, read and decoded once (`Fetched`), and
        its data keys, checked against the key generation once (`fresh_keys`), not per event."""
        busy = False
        fetched, serving = Fetched(self.app), None
        with fresh_keys():
            for applier in self.appliers:
                if self.stopped.is_set() or not self.locks.holds(applier.projection.name):
                    continue
                try:
                    if serving is None:  # every projection's generation and position, in one statement
                        with self.db.read() as tx:
                            serving = tracking_serving(tx)
                    busy = not applier.active_batch(fetched, serving).caught_up or busy
                except Exception:  # a store outage or a bad batch must not kill the runner
                    log.exception("projection_batch_failed", projection=applier.projection.name)
                    self.stopped.wait(self.poll_interval)
        return busy

    def _listen(self) -> None:
        channel = getattr(self.app.recorder, "channel_name", "eenplan_events")
        while not self.stopped.is_set():
            try:
                with self.db.connect(LISTEN_APPLICATION_NAME) as conn:
                    conn.execute(f'LISTEN "{channel}"')
                    self.wake.set()  # catch up on whatever was written while not listening
                    while not self.stopped.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=1):
                            self.wake.set()
            except psycopg.Error as error:
                log.warning("projection_listen_lost", error_type=type(error).__name__)
                self.stopped.wait(self.poll_interval)
