"""Removing what destroyed keys leave behind in the store's files, before an erasure is complete.

Destroying a key overwrites its row, but a database keeps the row as it was for a while:

- SQLite (WAL mode): the new page goes to the `-wal` file; the old page, with the wrapped
  key, stays in the database file (and older frames in the `-wal` file) until a checkpoint
  copies the new pages back. `wal_checkpoint(TRUNCATE)` does that and empties the `-wal`
  file; `secure_delete` (set by `PrivacyStore`) has zeroed the freed bytes in the pages.
  A reader that still holds a snapshot from before the erasure keeps the checkpoint from
  completing.
- PostgreSQL: the old tuple stays in the heap as a dead row version. A plain VACUUM makes
  its space reusable but may leave its bytes in the page, so the key table is rewritten
  (`VACUUM FULL privacy_keys`, a short exclusive lock on a small table) once no snapshot
  older than the destruction remains: a rewrite copies row versions such a snapshot may
  still see. Other registered tables (the idempotency keys) get a plain VACUUM.
  What PostgreSQL keeps elsewhere (WAL segments, archives, backups) is the operator's to
  expire: see docs/privacy.md.

`scrub` waits a bounded time; False means "pending": the caller keeps the erasure open
and the server's housekeeping finishes it later (`privacy.erasure.finish_pending`).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from typing import Any

import psycopg
import structlog

from eenplan.privacy.store import PrivacyStore

POLL_SECONDS = 0.1
log = structlog.get_logger("eenplan.privacy")
# Who may still see a row version the destroying transaction replaced: any snapshot (or
# replication slot, standby feedback, prepared transaction) whose horizon is not past it.
OLDER_SNAPSHOTS = """
SELECT
  (SELECT count(*) FROM pg_stat_activity
    WHERE pid <> pg_backend_pid() AND backend_xmin IS NOT NULL
      AND (datname = current_database() OR datname IS NULL) AND age(backend_xmin) >= age(%(xid)s::xid))
+ (SELECT count(*) FROM pg_stat_replication
    WHERE backend_xmin IS NOT NULL AND age(backend_xmin) >= age(%(xid)s::xid))
+ (SELECT count(*) FROM pg_replication_slots WHERE xmin IS NOT NULL AND age(xmin) >= age(%(xid)s::xid))
+ (SELECT count(*) FROM pg_prepared_xacts
    WHERE database = current_database() AND age(transaction) >= age(%(xid)s::xid)) AS n
"""


class Scrubber:
    """Scrubs the privacy store's database; `also_vacuum` names tables other rooms keep there."""

    def __init__(self, store: PrivacyStore) -> None:
        self.store = store
        self.also_vacuum: list[str] = []

    def scrub(self, since_xid: str | None, wait_seconds: float) -> bool:
        """True when no old version of what was destroyed remains in the store's files."""
        deadline = time.monotonic() + max(wait_seconds, 0.0)
        if self.store.dialect == "sqlite":
            return self._checkpoint(deadline)
        return self._vacuum(since_xid, deadline)

    # --- SQLite ---------------------------------------------------------------------------

    def _checkpoint(self, deadline: float) -> bool:
        pool = self.store.datastore.pool
        if pool.is_sqlite_memory_mode:
            return True  # nothing on disk
        while True:
            if _truncated(pool.db_name, max(0.05, min(1.0, deadline - time.monotonic()))):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)

    # --- PostgreSQL -----------------------------------------------------------------------

    def _vacuum(self, since_xid: str | None, deadline: float) -> bool:
        while since_xid is not None and self._older_snapshots(since_xid):
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)
        with self.store.datastore.get_connection() as connection:
            wait_ms = max(100, int((deadline - time.monotonic()) * 1000))
            connection.execute(f"SET lock_timeout = {wait_ms}")
            try:
                # VACUUM cannot run in a transaction block; the pool's connections autocommit.
                connection.execute("VACUUM FULL privacy_keys")
                for table in self.also_vacuum:
                    connection.execute(f"VACUUM {table}")
            except psycopg.Error as error:
                # A long reader of the key table holds its lock (LockNotAvailable), or the
                # store is busy: the erasure stays pending and housekeeping tries again.
                log.warning("scrub_postponed", error_type=type(error).__name__)
                return False
            finally:
                with contextlib.suppress(psycopg.Error):  # a broken connection is the pool's to replace
                    connection.execute("RESET lock_timeout")
        return True

    def _older_snapshots(self, since_xid: str) -> bool:
        xid = str(int(since_xid) % 2**32)  # the 32-bit xid of the xid8 the destruction ran under
        with self.store.datastore.get_connection() as connection:
            row: Any = connection.execute(OLDER_SNAPSHOTS, {"xid": xid}).fetchone()
        return bool(row and row["n"])


def _truncated(path: str, timeout: float) -> bool:
    """One TRUNCATE checkpoint on a connection of its own; True when the -wal file is now empty."""
    connection = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    try:
        busy, _log, _done = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.OperationalError:  # locked beyond the timeout
        return False
    finally:
        connection.close()
    return int(busy) == 0
