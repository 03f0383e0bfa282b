"""The database the views live in: the event store's own database, SQLite or PostgreSQL.

Projections write plain SQL with `?` placeholders; `ViewDB` runs it on either
store (PostgreSQL gets `%s`). A write is one transaction: the view rows and the
tracking position commit together or not at all. Reads run in one snapshot, so
a query never mixes two generations of a view during a blue-green swap.
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

    def _pg_pool(self) -> ConnectionPool[Any]:
        with self._pool_lock:
            if self._pool is None:
                # Opened on first use; a connection that died (server restart, terminated
                # backend) is checked out, found dead and replaced, instead of failing a read.
                self._pool = ConnectionPool(
                    self.conninfo,
                    min_size=1,
                    max_size=self.pool_size,
                    timeout=self.lock_timeout + 5,
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
    def read(self) -> Iterator[Tx]:
        """One read snapshot (SQLite WAL read transaction; PostgreSQL REPEATABLE READ)."""
        if not self.is_postgres:
            with self._sqlite("BEGIN") as tx:
                yield tx
            return
        with self._pg_pool().connection() as conn:
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
