"""Processes that start together create the schema one at a time: a PostgreSQL advisory lock.

Why: the DDL each process runs at start-up is idempotent, but PostgreSQL's catalog is not
safe for concurrent DDL on the same objects. `eventsourcing` replaces a function with
`CREATE OR REPLACE FUNCTION` on every start, and on a fresh database two processes can both
find a table missing and both create it. When several processes start at once
(`eenplan serve --workers N`, projection workers, a rolling deploy), one of them then fails
with "tuple concurrently updated" or a duplicate `pg_type` row, and exits.

Under this lock each process runs its start-up DDL in turn and the later ones find
everything in place. The lock is a session lock on a connection of its own, in the two-int
key space under a class no other eenplan lock uses; closing the connection releases it, so a
process that dies holding it does not keep the others waiting. SQLite serialises DDL itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from eenplan.api.settings import Settings

SCHEMA_DDL = 0x65736D  # the advisory lock class for start-up DDL ("esm")
WAIT_SECONDS = 120  # another process's DDL waits for its tables' writers; then fail with a reason


class SchemaLockTimeoutError(RuntimeError):
    """Another process held the start-up DDL lock for longer than `WAIT_SECONDS`."""


@contextmanager
def schema_lock(settings: Settings) -> Iterator[None]:
    """Hold the start-up DDL lock for the body (no-op on SQLite). Do not nest it."""
    if not settings.is_postgres:
        yield
        return
    with psycopg.connect(
        settings.database_url,
        autocommit=True,
        connect_timeout=max(1, int(settings.connect_timeout_seconds)),
        application_name="eenplan-schema-lock",
    ) as conn:
        conn.execute(f"SET lock_timeout = '{WAIT_SECONDS}s'")
        try:
            conn.execute("SELECT pg_advisory_lock(%s, 0)", (SCHEMA_DDL,))
        except psycopg.errors.LockNotAvailable as error:
            raise SchemaLockTimeoutError(
                f"another eenplan process held the schema lock for over {WAIT_SECONDS} s; see"
                " pg_locks for the session named eenplan-schema-lock and what it waits on"
            ) from error
        yield
