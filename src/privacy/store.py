"""The privacy tables, kept in the same database as the events.

Keys, the processing log, recorded policy versions, emergency-access grants and
their reviews, and erasure receipts live next to the event store, reached through the
`eventsourcing` datastore the application already holds (SQLite or
PostgreSQL), so there is one database to back up and one to erase from. The
in-memory store (tests) gets a private in-memory SQLite database.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.sqlite import SQLiteDatastore

from eenplan.sqlite_lock import begin_immediate

SERIAL = {"sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT", "postgres": "BIGSERIAL PRIMARY KEY"}
TABLES = [
    """CREATE TABLE IF NOT EXISTS privacy_keys (
        key_id TEXT PRIMARY KEY, wrapped TEXT, created_at TEXT NOT NULL, destroyed_at TEXT)""",
    # One row: how many times keys were destroyed. A process trusts the keys it has cached only
    # while this is what it last read (privacy.keys); a destruction adds one in its transaction.
    """CREATE TABLE IF NOT EXISTS privacy_key_generation (
        id INTEGER PRIMARY KEY CHECK (id = 1), generation BIGINT NOT NULL)""",
    "INSERT INTO privacy_key_generation (id, generation) VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
    """CREATE TABLE IF NOT EXISTS privacy_policies (
        sha256 TEXT PRIMARY KEY, version TEXT NOT NULL, first_loaded_at TEXT NOT NULL,
        source TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS processing_log (
        id {serial}, trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_span_id TEXT,
        name TEXT NOT NULL, start_time TEXT NOT NULL, end_time TEXT NOT NULL, status_code TEXT NOT NULL,
        plan_id TEXT, activity_id TEXT NOT NULL, data_subject_id TEXT NOT NULL, record TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS processing_log_plan ON processing_log (plan_id, id)",
    "CREATE INDEX IF NOT EXISTS processing_log_subject ON processing_log (data_subject_id, id)",
    """CREATE TABLE IF NOT EXISTS privacy_emergency_access (
        id {serial}, plan_id TEXT NOT NULL, tenant TEXT NOT NULL, sub TEXT NOT NULL, org TEXT NOT NULL,
        reason TEXT NOT NULL,
        granted_at TEXT NOT NULL, expires_at TEXT NOT NULL, trace_id TEXT)""",
    "CREATE INDEX IF NOT EXISTS privacy_emergency_plan ON privacy_emergency_access (plan_id, sub)",
    # One review per grant, final: the primary key refuses a second, the triggers a change.
    """CREATE TABLE IF NOT EXISTS privacy_emergency_reviews (
        grant_id TEXT PRIMARY KEY, decision TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
        reason TEXT NOT NULL, reviewed_at TEXT NOT NULL, by_sub TEXT NOT NULL, by_org TEXT NOT NULL,
        command_id TEXT NOT NULL, trace_id TEXT)""",
    """CREATE TABLE IF NOT EXISTS privacy_erasures (
        receipt_id TEXT PRIMARY KEY, plan_id TEXT NOT NULL, data_subject_ids TEXT NOT NULL,
        household INTEGER NOT NULL, keys_destroyed INTEGER NOT NULL, legal_ground TEXT NOT NULL,
        reason_code TEXT NOT NULL, erased_at TEXT NOT NULL, by_sub TEXT NOT NULL, by_org TEXT NOT NULL)""",
]
# Columns the emergency grants gained after the table was first shipped: added where missing.
GRANT_COLUMNS = ("grant_id", "requested_by", "command_id", "org_kind", "categories", "policy_sha256")
AFTER_MIGRATION = [
    "CREATE UNIQUE INDEX IF NOT EXISTS privacy_emergency_grant ON privacy_emergency_access (grant_id)",
    """CREATE INDEX IF NOT EXISTS privacy_emergency_command
        ON privacy_emergency_access (org, requested_by, command_id)""",
]
# Grants and their reviews are evidence: once written, the database itself refuses to change them.
GUARDED = ("privacy_emergency_access", "privacy_emergency_reviews")
GUARDS = {
    "sqlite": [
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_{verb} BEFORE {verb.upper()} ON {table}
           BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"""
        for table in GUARDED
        for verb in ("update", "delete")
    ],
    "postgres": [
        """CREATE OR REPLACE FUNCTION privacy_append_only() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only'; END $$
           LANGUAGE plpgsql""",
        *(
            f"""CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
               FOR EACH ROW EXECUTE FUNCTION privacy_append_only()"""
            for table in GUARDED
        ),
    ],
}
PRIVACY_LOCKS = 0x657076  # the advisory lock class for privacy check-then-write steps ("epv")
# The processing log is append-only in the database itself, not only in the API.
APPEND_ONLY = {
    "sqlite": [
        """CREATE TRIGGER IF NOT EXISTS processing_log_no_update BEFORE UPDATE ON processing_log
           BEGIN SELECT RAISE(ABORT, 'the processing log is append-only'); END""",
        """CREATE TRIGGER IF NOT EXISTS processing_log_no_delete BEFORE DELETE ON processing_log
           BEGIN SELECT RAISE(ABORT, 'the processing log is append-only'); END""",
    ],
    "postgres": [
        """CREATE OR REPLACE FUNCTION processing_log_append_only() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'the processing log is append-only'; END $$ LANGUAGE plpgsql""",
        """CREATE OR REPLACE TRIGGER processing_log_append_only BEFORE UPDATE OR DELETE ON processing_log
           FOR EACH ROW EXECUTE FUNCTION processing_log_append_only()""",
    ],
}


class PrivacyStore:
    """Plain SQL on the application's datastore; statements use `?` placeholders."""

    def __init__(self, datastore: Any, dialect: str) -> None:
        self.datastore = datastore
        self.dialect = dialect

    @classmethod
    def for_recorder(cls, recorder: Any) -> PrivacyStore:
        datastore = getattr(recorder, "datastore", None)
        if datastore is None:  # the in-memory (POPO) store of unit tests
            return cls(SQLiteDatastore(":memory:"), "sqlite")
        return cls(datastore, "sqlite" if isinstance(datastore, SQLiteDatastore) else "postgres")

    def create_tables(self) -> None:
        # Processes that start together run this in turn (the composition root holds
        # api/schemalock.py's lock), so a failure here is real: the append-only trigger
        # not installed must stop the start, not pass unnoticed.
        for statement in [t.format(serial=SERIAL[self.dialect]) for t in TABLES]:
            self.execute(statement)
        self._migrate_grants()
        for statement in AFTER_MIGRATION + APPEND_ONLY[self.dialect] + GUARDS[self.dialect]:
            self.execute(statement)

    def _migrate_grants(self) -> None:
        """Grants made before reviews existed get the new columns, and each an id of its own."""
        have = set(self.columns("privacy_emergency_access"))
        for column in GRANT_COLUMNS:
            if column not in have:
                self.execute(f"ALTER TABLE privacy_emergency_access ADD COLUMN {column} TEXT")
        legacy = self.query("SELECT id, sub FROM privacy_emergency_access WHERE grant_id IS NULL")
        # Runs before the append-only guard is installed, and finds nothing to do once it is.
        self.execute_many(
            "UPDATE privacy_emergency_access SET grant_id = ?, requested_by = ? WHERE id = ?",
            [(str(uuid.uuid4()), row["sub"], row["id"]) for row in legacy],
        )

    def columns(self, table: str) -> list[str]:
        if self.dialect == "sqlite":
            return [row["name"] for row in self.query(f"PRAGMA table_info({table})")]
        return [
            row["column_name"]
            for row in self.query(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = ? AND table_schema = current_schema()",
                (table,),
            )
        ]

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.dialect == "postgres" else statement

    def execute(self, statement: str, params: tuple[Any, ...] = (), *, secure: bool = True) -> None:
        """Run one statement in its own transaction (`secure` is kept for callers; it is always on)."""
        with self.datastore.transaction(commit=True) as cursor:
            self._secure(cursor)
            cursor.execute(self._sql(statement), params)

    def execute_many(self, statement: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            with self.datastore.transaction(commit=True) as cursor:
                self._secure(cursor)
                cursor.executemany(self._sql(statement), rows)

    def insert_text_rows(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        """Rows of TEXT columns, inserted in their order in one statement. PostgreSQL gets the
        columns as arrays (`unnest`): a page's hundred log lines cost one statement's parameters,
        not a hundred rows of them for the driver to adapt; SQLite inserts them row by row, in C."""
        if not rows:
            return
        names = ", ".join(columns)
        if self.dialect == "sqlite":
            marks = ", ".join("?" * len(columns))
            self.execute_many(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608
            return
        # Binary parameters (%b): the text format escapes every element with a regular
        # expression, twenty times slower for JSON than the executemany it replaces.
        arrays = ", ".join(["%b::text[]"] * len(columns))
        statement = (
            f"INSERT INTO {table} ({names}) SELECT {names} FROM unnest({arrays}) "  # noqa: S608
            f"WITH ORDINALITY AS r ({names}, n) ORDER BY n"
        )
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(statement, [list(column) for column in zip(*rows, strict=True)])

    def _secure(self, cursor: Any) -> None:
        # SQLite keeps the bytes of what a statement removes or overwrites in the file's free
        # space unless told to zero them; these tables hold wrapped keys and personal records.
        if self.dialect == "sqlite":
            cursor.execute("PRAGMA secure_delete = ON")

    def query(self, statement: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(self._sql(statement), params)
            return [dict(row) for row in cursor.fetchall()]

    @contextmanager
    def serialised(self, key: str) -> Iterator[Statements]:
        """One transaction that holds `key` until it ends, across processes: check, then write.

        PostgreSQL: a transaction-scoped advisory lock on the key. SQLite: the database's
        write lock, taken when the transaction begins instead of at its first write, so a
        second process waits for the first instead of failing on a stale read.

        Inside a transaction the caller already holds on the datastore's connection (a unit of
        work, api/store/unit.py), the step is part of it: the lock is held, and the commit or
        rollback is the caller's, until it ends.
        """
        if self.dialect == "postgres":
            with self.datastore.transaction(commit=True) as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", (PRIVACY_LOCKS, _key32(key)))
                self._secure(cursor)
                yield Statements(cursor, self._sql)
            return
        with self.datastore.get_connection(commit=True) as connection:
            raw = connection._sqlite_conn
            if raw.in_transaction:  # the caller's, begun with BEGIN IMMEDIATE: it holds the lock
                cursor = raw.cursor()
                self._secure(cursor)
                yield Statements(cursor, self._sql)
                return
            begin_immediate(raw, self.datastore.pool.lock_timeout or 5)  # fairly (eenplan.sqlite_lock)
            cursor = raw.cursor()
            try:
                self._secure(cursor)
                yield Statements(cursor, self._sql)
            except BaseException:
                raw.rollback()
                raise
            raw.commit()

    @contextmanager
    def transaction(self) -> Iterator[Statements]:
        """Several statements in one transaction, committed at the end of the block."""
        with self.datastore.transaction(commit=True) as cursor:
            self._secure(cursor)
            yield Statements(cursor, self._sql)


class Statements:
    """A cursor in a transaction that takes `?` placeholders on either store."""

    def __init__(self, cursor: Any, sql: Any) -> None:
        self.cursor, self._sql = cursor, sql

    def execute(self, statement: str, params: tuple[Any, ...] = ()) -> None:
        self.cursor.execute(self._sql(statement), params)

    def query(self, statement: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        self.cursor.execute(self._sql(statement), params)
        return [dict(row) for row in self.cursor.fetchall()]

    def execute_many(self, statement: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self.cursor.executemany(self._sql(statement), rows)


def _key32(key: str) -> int:
    """A stable signed 32-bit lock key; a rare collision only makes two unrelated steps queue."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "big", signed=True)
