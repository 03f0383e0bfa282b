"""The database the views live in: the event store's own database, SQLite or PostgreSQL.

Projections write plain SQL with `?` placeholders; `ViewDB` runs it on either
store (PostgreSQL gets `%s`). A write is one transaction: the view rows and the
tracking position commit together or not at all. Reads run in one snapshot, so
a query never mixes two generations of a view during a blue-green swap.

`ReplicaViewDB` reads the same tables on a streaming replica of that database
(`EENPLAN_READ_DATABASE_URL`), in read-only sessions; it takes no writes.
"""

from __future__ import annotations

import sqlite3
import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import lru_cache
from typing import Any, Protocol

import psycopg
from psycopg_pool import ConnectionPool

from eenplan.sqlite_lock import begin_immediate


class Tx(Protocol):
    """One open transaction: run statements, fetch rows as tuples."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def pipeline(self) -> AbstractContextManager[Any]: ...

    def latest(self, sql: str, key: Any, params: Sequence[Any]) -> None:
        """Run `sql`, or, while a batch of events is applied, only its last call per `key` when
        the batch ends (e.g. a row's version, which each event of the row moves)."""
        ...


@lru_cache(maxsize=512)
def _pg(sql: str) -> str:
    return sql.replace("?", "%s")


class _SQLiteTx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self.conn.execute(sql, tuple(params)).rowcount

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.conn.executemany(sql, [tuple(r) for r in rows])

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.conn.execute(sql, tuple(params)).fetchall()]

    def pipeline(self) -> AbstractContextManager[Any]:
        return nullcontext()

    def latest(self, sql: str, key: Any, params: Sequence[Any]) -> None:
        self.execute(sql, params)


class _PostgresTx:
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cursor = self.conn.execute(_pg(sql), tuple(params))
        return cursor.rowcount

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(_pg(sql), [tuple(r) for r in rows])

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self.conn.execute(_pg(sql), tuple(params))
        return [tuple(r) for r in cursor.fetchall()]

    def pipeline(self) -> AbstractContextManager[Any]:
        """Send a batch's statements without a round trip each; errors surface at the end."""
        return self.conn.pipeline()

    def latest(self, sql: str, key: Any, params: Sequence[Any]) -> None:
        self.execute(sql, params)


def lock_key(name: str) -> int:
    """A stable 63-bit advisory lock key for a name (the same in every process)."""
    return zlib.crc32(f"eenplan-projection:{name}".encode()) + (1 << 40)


class ViewDB:
    """Transactions on the event store's database, for view tables and tracking rows."""

    def __init__(self, store_env: dict[str, str]) -> None:
        self.is_postgres = store_env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
        self._pool: ConnectionPool[Any] | None = None
        self._pool_lock = threading.Lock()
        if self.is_postgres:
            self.pool_size = int(store_env.get("POSTGRES_POOL_SIZE", "5")) + int(
                store_env.get("POSTGRES_MAX_OVERFLOW", "10")
            )
            self.conninfo = psycopg.conninfo.make_conninfo(
                dbname=store_env["POSTGRES_DBNAME"],
                host=store_env["POSTGRES_HOST"],
                port=store_env["POSTGRES_PORT"],
                user=store_env["POSTGRES_USER"],
                password=store_env.get("POSTGRES_PASSWORD") or None,
                connect_timeout=store_env.get("POSTGRES_CONNECT_TIMEOUT", "5"),
            )
            self.lock_timeout = int(store_env.get("POSTGRES_LOCK_TIMEOUT", "5") or 5)
        else:
            self.path = store_env["SQLITE_DBNAME"]
            self.lock_timeout = int(store_env.get("SQLITE_LOCK_TIMEOUT", "5") or 5)
        self.pool_timeout: float = self.lock_timeout + 5

    def _pg_pool(self) -> ConnectionPool[Any]:
        with self._pool_lock:
            if self._pool is None:
                # Opened on first use; a connection that died (server restart, terminated
                # backend) is checked out, found dead and replaced, instead of failing a read.
                self._pool = ConnectionPool(
                    self.conninfo,
                    min_size=1,
                    max_size=self.pool_size,
                    timeout=self.pool_timeout,
                    check=ConnectionPool.check_connection,
                    open=True,
                )
            return self._pool

    def connect(self, application_name: str) -> psycopg.Connection[Any]:
        """A dedicated autocommit PostgreSQL session (advisory locks, LISTEN)."""
        return psycopg.connect(self.conninfo, autocommit=True, application_name=application_name)

    @contextmanager
    def _sqlite(self, begin: str) -> Iterator[Tx]:
        conn = sqlite3.connect(self.path, timeout=self.lock_timeout, isolation_level=None)
        try:
            if begin == "BEGIN IMMEDIATE":
                begin_immediate(conn, self.lock_timeout)  # fairly, beside the commands' writers
            else:
                conn.execute(begin)
            try:
                yield _SQLiteTx(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """One write transaction; SQLite takes the write lock up front (BEGIN IMMEDIATE)."""
        if not self.is_postgres:
            with self._sqlite("BEGIN IMMEDIATE") as tx:
                yield tx
            return
        with self._pg_pool().connection() as conn, conn.transaction():
            yield _PostgresTx(conn)

    @contextmanager
    def read(self, timeout: float | None = None) -> Iterator[Tx]:
        """One read snapshot (SQLite WAL read transaction; PostgreSQL REPEATABLE READ).

        `timeout`: how long to wait for a pooled connection (PostgreSQL), if not the pool's own."""
        if not self.is_postgres:
            with self._sqlite("BEGIN") as tx:
                yield tx
            return
        with self._pg_pool().connection(timeout=timeout) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            try:
                with conn.transaction():
                    yield _PostgresTx(conn)
            finally:
                conn.isolation_level = None

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None


class ReadReplicaUnavailableError(Exception):
    """The read replica did not answer, or broke off a read: the API answers 503, and only the
    reads it serves fail (the event store's breaker is not tripped; commands go on)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(
            "the read replica (EENPLAN_READ_DATABASE_URL) did not answer or broke off the read; retry shortly"
        )
        self.detail = str(self)
        self.error_type = type(error).__name__


class ReplicaViewDB(ViewDB):
    """Read-only sessions on a streaming replica of the store's database, for projection reads.

    Sessions start with `default_transaction_read_only = on`, so even a URL that names a primary
    by mistake cannot be written through (the runner writes through the primary's `ViewDB`).
    A connection failure, or a read the replica breaks off (e.g. cancelled to replay a
    conflicting change from the primary), is a `ReadReplicaUnavailableError`, never a store
    outage.
    """

    def __init__(self, url: str, *, pool_size: int, connect_timeout: int, pool_timeout: float) -> None:
        self.is_postgres = True
        self._pool = None
        self._pool_lock = threading.Lock()
        self.pool_size = pool_size
        self.pool_timeout = pool_timeout
        self.lock_timeout = connect_timeout
        self.conninfo = psycopg.conninfo.make_conninfo(
            url,
            connect_timeout=connect_timeout,
            application_name="eenplan-replica-reads",
            options="-c default_transaction_read_only=on",
        )

    @contextmanager
    def read(self, timeout: float | None = None) -> Iterator[Tx]:
        try:
            with super().read(timeout) as tx:
                yield tx
        except (psycopg.OperationalError, psycopg.InterfaceError) as error:  # PoolTimeout among them
            raise ReadReplicaUnavailableError(error) from error
