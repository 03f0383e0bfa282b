"""When the server's own jobs last ran, and a lock so that one process runs each at a time.

Retention and the completion of pending erasures run inside every API process
(`api.http.housekeeping`), but each job must run once per interval across all of
them, also across restarts: a restart must neither skip the daily retention run
nor repeat it at once. The last run is a row in `eenplan_housekeeping`; the turn is
a PostgreSQL advisory lock (session lock, on a connection of its own: a process
that dies releases it), or on SQLite a file lock beside the database.
"""

from __future__ import annotations

import fcntl
import hashlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import psycopg

from eenplan.api.settings import Settings

T = TypeVar("T")
TABLE = "eenplan_housekeeping"
SCHEMA = f"CREATE TABLE IF NOT EXISTS {TABLE} (job TEXT PRIMARY KEY, last_run_at DOUBLE PRECISION NOT NULL)"
HOUSEKEEPING = 0x65686B  # the advisory lock class for housekeeping jobs ("ehk")


def job_key(job: str) -> int:
    return int.from_bytes(hashlib.blake2b(job.encode(), digest_size=4).digest(), "big", signed=True)


class JobRunner:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sqlite_path = None if settings.is_postgres else Path(settings.store_env()["SQLITE_DBNAME"])

    def create_table(self) -> None:
        """At start-up, under the schema lock (api/store/schemalock.py), like all start-up DDL."""
        with self._connection() as run:
            run(SCHEMA)

    def run_if_due(self, job: str, every_seconds: float, work: Callable[[], T]) -> T | None:
        """Run `work` when this process has the job's turn and its interval has passed; else None."""
        with self._connection() as run, self._turn(job, run) as mine:
            if not mine:
                return None
            rows = run(f"SELECT last_run_at FROM {TABLE} WHERE job = ?", job)  # noqa: S608 - constant table
            if rows and time.time() < float(rows[0][0]) + every_seconds:
                return None
            result = work()  # a failure propagates, and the job stays due
            run(
                f"INSERT INTO {TABLE} (job, last_run_at) VALUES (?, ?) "  # noqa: S608 - constant table
                "ON CONFLICT (job) DO UPDATE SET last_run_at = excluded.last_run_at",
                job,
                time.time(),
            )
            return result

    @contextmanager
    def _connection(self) -> Iterator[Callable[..., list[tuple[Any, ...]]]]:
        """A statement runner on a connection of its own, autocommitting."""
        if self.sqlite_path is None:
            timeout = max(1, int(self.settings.connect_timeout_seconds))
            with psycopg.connect(
                self.settings.database_url,
                autocommit=True,
                connect_timeout=timeout,
                application_name="eenplan-housekeeping",
            ) as conn:
                yield lambda sql, *p: _rows(conn.execute(sql.replace("?", "%s"), p))
            return
        lite = sqlite3.connect(self.sqlite_path, timeout=self.settings.lock_timeout_seconds or 5)
        lite.isolation_level = None
        try:
            yield lambda sql, *p: lite.execute(sql, p).fetchall()
        finally:
            lite.close()

    @contextmanager
    def _turn(self, job: str, run: Callable[..., list[tuple[Any, ...]]]) -> Iterator[bool]:
        if self.sqlite_path is None:
            ((mine,),) = run("SELECT pg_try_advisory_lock(?, ?)", HOUSEKEEPING, job_key(job))
            try:
                yield bool(mine)
            finally:
                if mine:
                    run("SELECT pg_advisory_unlock(?, ?)", HOUSEKEEPING, job_key(job))
            return
        with _file_lock(self.sqlite_path.with_name(f"{self.sqlite_path.name}.{job}.lock")) as mine:
            yield mine


def _rows(cursor: Any) -> list[tuple[Any, ...]]:
    return list(cursor.fetchall()) if cursor.description else []


@contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
