"""Fail fast while the event store is down: a circuit breaker in front of the routes and the store.

Why: the `eventsourcing` PostgreSQL recorder retries a failed statement ten times, each
waiting up to the connect timeout for a pooled connection, and one request makes several
such calls, so without a breaker one request in an outage takes about a minute to become a
503 (clients time out first). Meanwhile every request of the outage holds a worker thread
that long, and the process stops answering even `/health`.

Two parts, one gate:
- `guard` wraps the store's connection checkout. A checkout that finds no server within the
  connect timeout trips the gate, and while it is shut a checkout raises
  `StoreUnavailableError`, which the recorder's retry loop does not catch: a request already
  inside the store gives up after one connect timeout, not ten. A connection that breaks
  mid-statement is still retried on a fresh one, as the recorder intends.
- `api.http.storegate.StoreGateMiddleware` answers new requests with an immediate 503 while it is shut.

At most once a second one caller probes the store (a fresh connection and `SELECT 1`), and
when it answers the gate opens again.

A failed checkout or statement is not yet an outage: a pool that had no connection free within
its timeout, or a lock wait that ran out, is a busy store, and shutting the gate on it would turn
a busy second into a second of refusals for every request. So a failure only makes the gate
`suspect` the store: it probes (one caller per interval) and shuts when the probe finds no server.
SQLite has no server to lose: its gate never shuts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import PostgresDatastore

from eenplan.api.settings import Settings

PROBE_INTERVAL = 1.0


class StoreUnavailableError(Exception):
    """The store is known to be down; deliberately not one of the errors the recorder retries."""


class StoreBusyError(StoreUnavailableError):
    """No connection was free within the pool's timeout while the server answers: the store is
    busy, not down. Not retried by the recorder either (each retry would wait the timeout again)."""


class StoreGate:
    def __init__(self, probe: Callable[[], None] | None) -> None:
        """`probe` raises a psycopg error when the server does not answer; None: there is no server
        (SQLite), and the gate never shuts."""
        self._probe = probe
        self._down = False
        self._next_probe = 0.0
        self._lock = threading.Lock()

    @classmethod
    def for_settings(cls, settings: Settings) -> StoreGate:
        if not settings.is_postgres:
            return cls(None)
        url, timeout = settings.database_url, settings.connect_timeout_seconds

        def probe() -> None:
            with psycopg.connect(url, connect_timeout=timeout, autocommit=True) as conn:
                conn.execute("SELECT 1")

        return cls(probe)

    def guard(self, datastore: object) -> None:
        """Route the PostgreSQL datastore's connection checkouts through this gate (no-op for SQLite)."""
        if not isinstance(datastore, PostgresDatastore):
            return
        checkout = datastore.get_connection
        gate = self

        @contextmanager
        def get_connection(*args: Any, **kwargs: Any) -> Iterator[Any]:
            if not gate.may_pass():
                raise StoreUnavailableError("the event store is unavailable")
            with ExitStack() as stack:
                try:
                    connection = stack.enter_context(checkout(*args, **kwargs))
                except (OperationalError, InterfaceError) as error:
                    # No connection within the timeout: a server that is gone, or a busy pool.
                    if gate.suspect():
                        raise StoreUnavailableError("the event store is unavailable") from error
                    raise StoreBusyError("the event store is busy") from error
                yield connection

        datastore.get_connection = get_connection  # type: ignore[method-assign]

    @property
    def down(self) -> bool:
        return self._down

    def suspect(self) -> bool:
        """A store call failed: shut the gate when a probe finds no server. True when it is shut.

        One caller probes per interval; the others, and any caller within the interval after a
        probe that found the store up, leave the gate as it is (their own call still failed)."""
        if self._probe is None:
            return False
        if self._down:
            return True
        with self._lock:
            now = time.monotonic()
            if now < self._next_probe:
                return self._down
            self._next_probe = now + PROBE_INTERVAL
        try:
            self._probe()
        except psycopg.Error:
            self.trip()
            return True
        return False

    def trip(self) -> None:
        if self._probe is None:
            return
        with self._lock:
            if not self._down:
                self._down, self._next_probe = True, time.monotonic() + PROBE_INTERVAL

    def may_pass(self) -> bool:
        """True when the store is up, or this caller's probe found it up again."""
        if not self._down or self._probe is None:
            return True
        with self._lock:
            if time.monotonic() < self._next_probe:
                return False
            self._next_probe = time.monotonic() + PROBE_INTERVAL  # one prober per interval
        try:
            self._probe()
        except psycopg.Error:
            return False
        self._down = False
        return True
