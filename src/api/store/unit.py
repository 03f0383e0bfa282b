"""One command, one transaction: a unit of work that the store's writers join.

A plan command used to commit five times: its idempotency claim, its events with their chain
links, its stored reply, and its processing-log lines, each on a connection of its own. A crash
between two of them left a change without its log line, or a claim without its answer, and
recovery code to settle it. In a unit of work they all go through one connection in one
transaction, and commit together or not at all:

- `open_unit()` starts an (inactive) unit for a request; `current()` finds it from any thread
  the request runs code in (the context is copied into the thread pool).
- A plan command `activate`s it on the event store's datastore: from then on every checkout of
  that datastore in this request (the recorder's insert and reads, the privacy store, the key
  store) is the unit's connection. The recorder inserts under a savepoint of its own
  (`chain.ChainedPostgresRecorder.insert_events`; SQLite undoes a failed statement by itself), so
  a version conflict that the plan writer retries does not abort the whole.
- The plan-writer lock is then a transaction-scoped advisory lock (PostgreSQL), and on SQLite
  the unit takes the write lock when it begins (`BEGIN IMMEDIATE`, `begin()` as the command
  starts): a second writer of the same plan waits until this one has committed or rolled back,
  never reading its uncommitted state.
- On SQLite every command's unit holds the one write lock, so writers queue, and the queue must
  be fair, or a writer waits past its timeout while others are served (a 503 under load):
  - in a process, units wait their turn on a lock of their own, not in the connection pool, whose
    queue readers share (a writer waiting there would hold up every read);
  - between processes, a unit tries `BEGIN IMMEDIATE` every millisecond (`eenplan.sqlite_lock`),
    where SQLite's busy handler slept through the other process's hand-overs.
- A unit holds its locks until it ends, so its end runs on threads of its own (`ENDS`), never
  waiting for a worker thread that a request blocked on those very locks holds.
- `commit()` or `rollback()` ends it. A rollback after events were saved first evicts those
  aggregates from the in-process cache (`before_rollback`), which holds them from the save on.

`join(datastore)` installs the routing on a datastore once, at start-up (api/bootstrap.py).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from typing import Any

import anyio
import psycopg
from eventsourcing import persistence as es
from eventsourcing.postgres import PostgresDatastore

from eenplan.sqlite_lock import begin_immediate

_current: ContextVar[Unit | None] = ContextVar("eenplan_unit_of_work", default=None)
ENDING_THREADS = 40
_ENDS: anyio.CapacityLimiter | None = None


class Unit:
    def __init__(self) -> None:
        self.datastore: Any = None
        self._stack = ExitStack()
        self._connection: Any = None
        self._checkout: Callable[[], Any] | None = None
        self.saved: set[Any] = set()
        self.before_rollback: list[Callable[[Iterable[Any]], None]] = []
        self.ended = False

    @property
    def active(self) -> bool:
        return self.datastore is not None and not self.ended

    @property
    def is_postgres(self) -> bool:
        return isinstance(self.datastore, PostgresDatastore)

    def activate(self, datastore: Any) -> None:
        """Route `datastore`'s checkouts in this request through this unit, and begin it."""
        if self.active:
            return
        checkout = getattr(datastore, "_unit_checkout", None)
        if checkout is None:
            raise RuntimeError("the datastore was not joined to units of work (api.store.unit.join)")
        self.datastore, self._checkout = datastore, checkout
        self.before_rollback = list(getattr(datastore, "_unit_before_rollback", ()))

    def begin(self) -> None:
        """Begin the transaction now, in the thread that runs the command (`Command.run`): on
        SQLite that takes the write lock before anything is read. Not in the dependency that
        activates the unit: a thread that held the lock while it waited for another worker
        thread to run its endpoint would stall every writer behind it."""
        self.connection()

    def connection(self) -> Any:
        """The unit's connection, in its transaction (begun at first use)."""
        if self._connection is None:
            assert self._checkout is not None
            if self.is_postgres:
                connection = self._stack.enter_context(self._checkout())
                # Transaction control is never prepared (`prepare=False`): it gains nothing from it,
                # and pg_stat_statements does not count utility statements run as prepared ones.
                connection.execute("BEGIN", prepare=False)
            else:
                connection = self._stack.enter_context(self._checkout())
                # Keys and personal records overwritten in the unit leave no bytes in free pages.
                connection._sqlite_conn.execute("PRAGMA secure_delete = ON")
                with translated():
                    begin_immediate(connection._sqlite_conn, self.datastore.pool.lock_timeout or 5)
            self._connection = connection
        return self._connection

    def commit(self) -> None:
        if self.is_postgres and self._connection is not None and _failed(self._connection):
            # PostgreSQL answers COMMIT in a failed transaction with a rollback, not an error: a
            # statement failed and was caught on the way, and nothing of this unit would be kept.
            self.rollback()
            raise es.InternalError("a statement of the command's transaction failed; nothing was kept")
        try:
            self._end("COMMIT")
        except BaseException:
            # Kept or not (a connection lost during COMMIT leaves that unknown), what this unit
            # saved must leave the cache: the next writer of the plan would build on versions
            # the store may not have, and store version 27 after a missing 26. Its locks are
            # gone with the connection, so this is as early as it can be.
            self._evict()
            raise

    def rollback(self) -> None:
        # The cache holds what this unit saved from the save on; take it out before the
        # rollback lets the next writer of the same plan in.
        self._evict()
        self._end("ROLLBACK")

    def _evict(self) -> None:
        if self.saved:
            for hook in self.before_rollback:
                hook(self.saved)

    def _end(self, statement: str) -> None:
        if self.ended:
            return
        self.ended = True
        try:
            if self._connection is not None:
                with translated():  # a connection lost during COMMIT is an outage (503), as elsewhere
                    if self.is_postgres:
                        self._connection.execute(statement, prepare=False)
                    else:
                        self._connection._sqlite_conn.execute(statement)
        finally:
            self._stack.close()


def ending_threads() -> anyio.CapacityLimiter:
    """The threads that end units (write their log lines, commit or roll back): not the request
    threads, which may all be waiting for the locks a unit holds until it ends."""
    global _ENDS
    if _ENDS is None:
        _ENDS = anyio.CapacityLimiter(ENDING_THREADS)
    return _ENDS


def _failed(connection: Any) -> bool:
    return bool(connection.info.transaction_status == psycopg.pq.TransactionStatus.INERROR)


def opened() -> Unit | None:
    """This request's unit of work, active or not yet."""
    unit = _current.get()
    return unit if unit is not None and not unit.ended else None


def current() -> Unit | None:
    """This request's unit of work, when it is active."""
    unit = _current.get()
    return unit if unit is not None and unit.active else None


@contextmanager
def open_unit() -> Iterator[Unit]:
    """A unit for the code in the block; inactive until a command activates it. Rolled back when
    the block ends without a commit (a failure, a refusal)."""
    unit = Unit()
    token = _current.set(unit)
    try:
        yield unit
    finally:
        _current.reset(token)
        if not unit.ended:
            unit.rollback()


# As the datastores translate their driver's errors (a version conflict is the recorder's
# IntegrityError, an outage its OperationalError), so do checkouts routed through a unit.
_TRANSLATED: list[tuple[type[BaseException], type[BaseException]]] = [
    (psycopg.InterfaceError, es.InterfaceError),
    (psycopg.OperationalError, es.OperationalError),
    (psycopg.DataError, es.DataError),
    (psycopg.IntegrityError, es.IntegrityError),
    (psycopg.InternalError, es.InternalError),
    (psycopg.ProgrammingError, es.ProgrammingError),
    (psycopg.NotSupportedError, es.NotSupportedError),
    (psycopg.DatabaseError, es.DatabaseError),
    (psycopg.Error, es.PersistenceError),
    (sqlite3.InterfaceError, es.InterfaceError),
    (sqlite3.OperationalError, es.OperationalError),
    (sqlite3.DataError, es.DataError),
    (sqlite3.IntegrityError, es.IntegrityError),
    (sqlite3.InternalError, es.InternalError),
    (sqlite3.ProgrammingError, es.ProgrammingError),
    (sqlite3.NotSupportedError, es.NotSupportedError),
    (sqlite3.DatabaseError, es.DatabaseError),
    (sqlite3.Error, es.PersistenceError),
]


@contextmanager
def translated() -> Iterator[None]:
    try:
        yield
    except (psycopg.Error, sqlite3.Error) as error:
        for driver, ours in _TRANSLATED:
            if isinstance(error, driver):
                raise ours(str(error)) from error
        raise


def join(datastore: Any, before_rollback: Iterable[Callable[[Iterable[Any]], None]] = ()) -> None:
    """Let units of work route `datastore`'s checkouts and transactions through themselves;
    `before_rollback` is given the ids of the aggregates a unit saved, when it rolls back."""
    checkout = datastore.get_connection
    transaction = datastore.transaction
    postgres = isinstance(datastore, PostgresDatastore)

    def _mine() -> Unit | None:
        unit = current()
        return unit if unit is not None and unit.datastore is datastore else None

    @contextmanager
    def get_connection(*args: Any, **kwargs: Any) -> Iterator[Any]:
        unit = _mine()
        if unit is None:
            with checkout(*args, **kwargs) as connection:
                yield connection
            return
        with translated():
            yield unit.connection()

    @contextmanager
    def joined_transaction(*, commit: bool = False) -> Iterator[Any]:
        unit = _mine()
        if unit is None:
            with transaction(commit=commit) as cursor:
                yield cursor
            return
        with translated():
            connection = unit.connection()
            # No savepoint: a failed statement fails the command, and its unit rolls back. The
            # recorder sets its own savepoint around its insert, so a version conflict it retries
            # leaves the unit usable.
            yield connection.cursor() if postgres else connection._sqlite_conn.cursor()

    # SQLite: units wait their turn here, not in the pool's queue, which readers wait in too.
    turns = threading.Lock()

    @contextmanager
    def unit_checkout() -> Iterator[Any]:
        if postgres:
            with checkout() as connection:
                yield connection
            return
        if not turns.acquire(timeout=datastore.pool.pool_timeout):
            raise es.ConnectionUnavailableError("timed out waiting for the turn to write")
        try:
            with checkout(commit=True) as connection:
                yield connection
        finally:
            turns.release()

    datastore.get_connection = get_connection
    datastore.transaction = joined_transaction
    datastore._unit_checkout = unit_checkout
    datastore._unit_before_rollback = list(before_rollback)
