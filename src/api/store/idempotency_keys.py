"""Idempotency keys, kept in the event store's own database (SQLite or PostgreSQL).

A key is claimed atomically (INSERT … ON CONFLICT DO NOTHING) before its command
runs, so of concurrent duplicates exactly one executes; the answer is stored on
the claim, byte for byte, for the others and for later retries, in any process.

A stored answer, and the request's fingerprint, are about the records the command
wrote. When those are erased (art. 17) the claim stays, so a repeat still does not
run the command again, but its answer and fingerprint are replaced by `ERASED_REPLY`
(`erase_answers`): a 410 problem that says the answer went with the data.
"""

# SQL here names one constant table; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
from psycopg_pool import ConnectionPool

from eenplan.api.settings import Settings
from eenplan.api.store import unit as units
from eenplan.api.store.schemalock import schema_lock
from eenplan.sqlite_lock import begin_immediate

TABLE = "eenplan_idempotency_keys"
COLUMNS = "key, fingerprint, owner, claimed_at, expires_at, position, status, headers, body"
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    owner TEXT NOT NULL,
    claimed_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL,
    position BIGINT NOT NULL,
    status INTEGER,
    headers TEXT,
    body {{blob}}
)"""


ERASED = "erased"  # the fingerprint of a claim whose answer was erased with its records
PAGE = 500


IDEMPOTENCY_KEYS = 0x65696B  # the advisory lock class for keys in flight ("eik")


def key_lock(key: str) -> int:
    """A signed 32-bit lock key for an idempotency key; a rare collision only makes a request wait."""
    return int.from_bytes(bytes.fromhex(key[:8]), "big", signed=True)


def scoped_key(org: str, sub: str, command_id: str) -> str:
    """The stored key of a command id: scoped to the caller, so callers cannot collide."""
    return hashlib.sha256(f"{org}\n{sub}\n{command_id}".encode()).hexdigest()


@dataclass(frozen=True)
class Reply:
    """One stored HTTP answer: status, the headers that matter, the body bytes."""

    status: int
    headers: dict[str, str]
    body: bytes


ERASED_REPLY = Reply(
    410,
    {"content-type": "application/problem+json"},
    json.dumps(
        {
            "type": "https://eenplan.nl/problems/answer-erased",
            "title": "Gone",
            "status": 410,
            "detail": "this request was carried out; its answer was erased with the data it was about "
            "(AVG art. 17), and the request is not run again",
        }
    ).encode(),
)


@dataclass(frozen=True)
class Claim:
    """A key's row: who claimed it, when, and the answer once there is one."""

    key: str
    fingerprint: str
    owner: str
    claimed_at: float
    position: int
    reply: Reply | None


class KeyBusyError(Exception):
    """The key is held by a request still in progress, in a transaction not yet committed."""


class KeyStore(ABC):
    """Claim, answer, release and purge keys. `sql` uses `?` placeholders."""

    blob = "BLOB"

    def __init__(self, ttl_seconds: int) -> None:
        self.ttl_seconds = ttl_seconds

    @abstractmethod
    def _cursor(self) -> contextlib.AbstractContextManager[Any]:
        """A cursor in a transaction on this store's database (SQLite or PostgreSQL)."""

    def _run(self, sql: str, *params: Any) -> tuple[int, list[tuple[Any, ...]]]:
        unit = units.current()
        # In a command's unit of work the key is claimed and answered in the command's own
        # transaction (the table is in the same database): all of it commits, or none.
        with unit.datastore.transaction(commit=True) if unit else self._cursor() as cursor:
            # A duplicate in flight is found by the key's try-lock (`claim`) before this could
            # wait on its uncommitted row.
            cursor.execute(self._dialect(sql), params)
            rows = cursor.fetchall() if cursor.description else []
            return cursor.rowcount, [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in rows]

    def _dialect(self, sql: str) -> str:
        return sql

    def create_table(self) -> None:
        self._run(SCHEMA.format(blob=self.blob))

    def claim(self, key: str, fingerprint: str, position: int) -> tuple[bool, Claim]:
        """Claim the key; True when this call owns it, else the existing claim.

        In a unit of work on PostgreSQL the claim is not visible until the command commits, and
        an INSERT of the same key would wait for it: a transaction-scoped advisory lock on the
        key says at once that a duplicate is in progress (KeyBusyError), and the caller polls.
        """
        unit = units.current()
        if unit is not None and unit.is_postgres:
            _, rows = self._run("SELECT pg_try_advisory_xact_lock(?, ?)", IDEMPOTENCY_KEYS, key_lock(key))
            if not rows[0][0]:
                raise KeyBusyError(key)
        now, owner = time.time(), uuid4().hex
        # One statement for a new key, or one whose claim expired (taken over as new); a live
        # claim is left as it is, and read below.
        _, mine = self._run(
            f"INSERT INTO {TABLE} (key, fingerprint, owner, claimed_at, expires_at, position)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint,"
            " owner = excluded.owner, claimed_at = excluded.claimed_at, expires_at = excluded.expires_at,"
            " position = excluded.position, status = NULL, headers = NULL, body = NULL"
            f" WHERE {TABLE}.expires_at < ? RETURNING owner",
            key,
            fingerprint,
            owner,
            now,
            now + self.ttl_seconds,
            position,
            now,
        )
        if mine:
            return True, Claim(key, fingerprint, owner, now, position, None)
        found = self.get(key)
        if found is None:  # purged between the two statements: claim again
            return self.claim(key, fingerprint, position)
        return found.owner == owner, found

    def get(self, key: str) -> Claim | None:
        _, rows = self._run(f"SELECT {COLUMNS} FROM {TABLE} WHERE key = ?", key)
        if not rows:
            return None
        key, fingerprint, owner, claimed_at, _, position, status, headers, body = rows[0]
        reply = None if status is None else Reply(int(status), json.loads(headers), bytes(body))
        return Claim(key, fingerprint, owner, float(claimed_at), int(position), reply)

    def take_over(self, stale: Claim) -> Claim | None:
        """Take a stale, unanswered claim; None when another process got there first."""
        owner, now = uuid4().hex, time.time()
        count, _ = self._run(
            f"UPDATE {TABLE} SET owner = ?, claimed_at = ? WHERE key = ? AND owner = ? AND status IS NULL",
            owner,
            now,
            stale.key,
            stale.owner,
        )
        if count != 1:
            return None
        return Claim(stale.key, stale.fingerprint, owner, now, stale.position, None)

    def answer(self, claim: Claim, reply: Reply) -> None:
        self._run(
            f"UPDATE {TABLE} SET status = ?, headers = ?, body = ? "
            "WHERE key = ? AND owner = ? AND status IS NULL",
            reply.status,
            json.dumps(reply.headers),
            reply.body,
            claim.key,
            claim.owner,
        )

    def release(self, claim: Claim) -> None:
        """Give the key back: the command failed and recorded nothing, so a retry may run it."""
        self._run(
            f"DELETE FROM {TABLE} WHERE key = ? AND owner = ? AND status IS NULL", claim.key, claim.owner
        )

    def erase_answers(self, commands: list[tuple[str, str, str]]) -> int:
        """Replace the stored answers of these commands (org, sub, command id); returns how many."""
        keys = sorted({scoped_key(*command) for command in commands})
        erased = 0
        for start in range(0, len(keys), PAGE):
            page = keys[start : start + PAGE]
            marks = ", ".join("?" for _ in page)
            count, _ = self._run(
                f"UPDATE {TABLE} SET fingerprint = ?, status = ?, headers = ?, body = ? "
                f"WHERE key IN ({marks}) AND status IS NOT NULL AND fingerprint <> ?",
                ERASED,
                ERASED_REPLY.status,
                json.dumps(ERASED_REPLY.headers),
                ERASED_REPLY.body,
                *page,
                ERASED,
            )
            erased += max(count, 0)
        return erased

    def purge(self, now: float | None = None) -> int:
        """Delete expired keys; returns how many."""
        count, _ = self._run(f"DELETE FROM {TABLE} WHERE expires_at < ?", now or time.time())
        return max(count, 0)

    def close(self) -> None:  # noqa: B027 - optional hook: only stores with a pool have one to close
        """Release connections; stores without a pool hold none."""


class SqliteKeyStore(KeyStore):
    """One connection per thread, autocommit; a write takes the file's write lock fairly, beside
    the commands' units of work (`eenplan.sqlite_lock`), in a transaction of its own."""

    def __init__(self, path: Path, ttl_seconds: int, lock_timeout: float) -> None:
        super().__init__(ttl_seconds)
        self.path, self.lock_timeout = path, lock_timeout
        self.local = threading.local()
        self.connections: list[sqlite3.Connection] = []
        self.lock = threading.Lock()

    def _run(self, sql: str, *params: Any) -> tuple[int, list[tuple[Any, ...]]]:
        if units.current() is not None or sql.lstrip().upper().startswith("SELECT"):
            return super()._run(sql, *params)
        with self._cursor() as cursor:
            begin_immediate(cursor.connection, self.lock_timeout)
            try:
                result = super()._run(sql, *params)
            except BaseException:
                cursor.connection.execute("ROLLBACK")
                raise
            cursor.connection.execute("COMMIT")
            return result

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(
                self.path, timeout=self.lock_timeout, isolation_level=None, check_same_thread=False
            )
            # Purged and erased answers leave no bytes behind in the file's free space.
            connection.execute("PRAGMA secure_delete = ON")
            self.local.connection = connection
            with self.lock:
                self.connections.append(connection)
        cursor = connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def close(self) -> None:
        with self.lock:
            for connection in self.connections:
                connection.close()
            self.connections.clear()
        self.local = threading.local()


class PostgresKeyStore(KeyStore):
    blob = "BYTEA"

    def __init__(self, url: str, ttl_seconds: int, settings: Settings) -> None:
        super().__init__(ttl_seconds)
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=settings.pool_size + settings.pool_max_overflow,
            timeout=settings.pool_timeout_seconds,
            kwargs={"autocommit": True, "connect_timeout": settings.connect_timeout_seconds},
            open=True,
        )

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        with self.pool.connection() as connection, connection.cursor() as cursor:
            yield cursor

    def _dialect(self, sql: str) -> str:
        return sql.replace("?", "%s")

    def create_table(self) -> None:
        # Another process may create it at the same moment.
        with contextlib.suppress(psycopg.errors.UniqueViolation, psycopg.errors.DuplicateTable):
            super().create_table()

    def close(self) -> None:
        self.pool.close()


def build_keystore(settings: Settings) -> KeyStore:
    env = settings.store_env()
    store: KeyStore
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        store = SqliteKeyStore(
            Path(env["SQLITE_DBNAME"]), settings.idempotency_ttl_seconds, settings.lock_timeout_seconds or 5
        )
    else:
        store = PostgresKeyStore(settings.database_url, settings.idempotency_ttl_seconds, settings)
    with schema_lock(settings):  # processes that start together create it in turn
        store.create_table()
    return store
