"""SQLite's one write lock, taken fairly: for every writer of the embedded store, in any layer.

SQLite lets one transaction write at a time; a writer that finds the lock taken waits in its
busy handler, which sleeps between tries for up to 100 ms each. With two server processes that
is unfair: the process holding the lock hands it from one of its writers to the next in
microseconds, while the other process's writer sleeps through every hand-over. Under load one
worker's commands were served while the other's waited past their timeout and got a 503.
`begin_immediate` tries every millisecond instead, so a waiting writer is at most a millisecond
late for the lock's release.
"""

from __future__ import annotations

import sqlite3
import time

POLL_SECONDS = 0.001


def begin_immediate(connection: sqlite3.Connection, timeout: float) -> None:
    """`BEGIN IMMEDIATE` on `connection` (in autocommit mode), tried until `timeout` seconds have
    passed; then SQLite's own "database is locked". The connection's busy timeout is kept."""
    (busy_ms,) = connection.execute("PRAGMA busy_timeout").fetchone()
    connection.execute("PRAGMA busy_timeout = 0")
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() >= deadline:
                    raise
            time.sleep(POLL_SECONDS)
    finally:
        connection.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
