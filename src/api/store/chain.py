# ruff: noqa: S608  (table names are the recorder's own constants; every value is a bound parameter)
"""The store's recorders, extended to write the hash chain in the same transaction as the events.

Selected through eventsourcing's `APPLICATION_RECORDER_TOPIC` (see `api.settings.store_env`).
Each save already holds the store's write lock (PostgreSQL: `LOCK TABLE … IN EXCLUSIVE MODE`;
SQLite: one writer), so reading the chain head and appending to it adds no serialisation
of its own. The chain table lives in the same database, next to the events.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore
from psycopg.sql import SQL, Identifier

from eenplan.api.store import unit as units
from eenplan.domain.audit.chain import GENESIS, ChainRow, StoredRecord, canonical_id, next_links
from eenplan.domain.errors import RuleViolationError

ROW_COLUMNS = (
    "c.position, c.originator_id, c.originator_version, c.notification_id, c.record_hash, "
    "c.chain_hash, p.chain_hash AS previous_chain_hash, a.record_hash AS previous_record_hash, "
    "e.{nid} AS event_nid, e.topic, e.state"
)


def chain_table_name(events_table_name: str) -> str:
    return events_table_name.removesuffix("events") + "chain"


class ChainSQL:
    """The chain's SQL, shared by both stores; `?` placeholders, the store rewrites them."""

    chain: str
    events: str
    nid: str  # the events table's notification id column
    datastore: Any

    def _sql(self, statement: str) -> str:
        return statement

    def _id(self, originator_id: Any) -> Any:
        return originator_id

    def _write_links(
        self,
        curs: Any,
        stored: Sequence[StoredEvent],
        ids: Sequence[int],
        previous: dict[str, str] | None = None,
    ) -> None:
        """Append one chain row per inserted event; the caller's transaction holds the write lock.
        `previous`: each record's last hash, as `previous_hashes` read before the insert."""
        unit = units.current()
        if unit is not None and unit.datastore is self.datastore:
            unit.saved.update(s.originator_id for s in stored)  # cached from the save on
        curs.execute(
            self._sql(f"SELECT position, chain_hash FROM {self.chain} ORDER BY position DESC LIMIT 1")
        )
        head = curs.fetchone()
        if previous is None:
            previous = self.previous_hashes(curs, stored)
        records = [
            (s.originator_id, s.originator_version, nid, s.topic, s.state)
            for s, nid in zip(stored, ids, strict=True)
        ]
        head_pair = (head["position"], head["chain_hash"]) if head else (0, GENESIS)
        rows = next_links(head_pair, previous, records)
        curs.executemany(
            self._sql(f"INSERT INTO {self.chain} VALUES (?, ?, ?, ?, ?, ?)"),
            [
                (pos, self._id(s.originator_id), v, nid, rh, ch)
                for s, (pos, _, v, nid, rh, ch) in zip(stored, rows, strict=True)
            ],
        )

    def previous_hashes(self, curs: Any, stored: Sequence[StoredEvent]) -> dict[str, str]:
        """Each record's last hash before these events; refuses a record whose previous version
        is not in the store (`_previous_record_hash`). Called before the insert, so that a
        refusal leaves nothing behind (the library commits what it inserted when an error is
        raised in Python after it, and a SQLite unit of work has no savepoint)."""
        previous: dict[str, str] = {}
        for s in _first_of_each(stored):
            if s.originator_version > 1:
                self._previous_record_hash(curs, s, previous)
        return previous

    def _previous_record_hash(self, curs: Any, s: StoredEvent, previous: dict[str, str]) -> None:
        """The hash of the version before `s`, in the same statement as the check that that
        version is stored at all: a writer that built on a version the store does not have (a
        cache that outlived a failed commit) must not leave a gap in a record's history. Refused
        as a conflict, so the writer loads the record again from the store and retries."""
        curs.execute(
            self._sql(
                f"SELECT c.record_hash FROM {self.events} e LEFT JOIN {self.chain} c "
                "ON c.originator_id = e.originator_id AND c.originator_version = e.originator_version "
                "WHERE e.originator_id = ? AND e.originator_version = ?"
            ),
            (self._id(s.originator_id), s.originator_version - 1),
        )
        found = curs.fetchone()
        if found is None:
            raise IntegrityError(
                f"version {s.originator_version - 1} of {s.originator_id} is not in the store; "
                f"version {s.originator_version} would leave a gap"
            )
        if found["record_hash"] is not None:
            previous[canonical_id(s.originator_id)] = found["record_hash"]

    # --- reading, for verification ------------------------------------------------------

    def _rows(self, where: str, order: str, params: list[Any]) -> list[dict[str, Any]]:
        statement = (
            f"SELECT {ROW_COLUMNS.format(nid=self.nid)} FROM {self.chain} c "
            f"LEFT JOIN {self.chain} p ON p.position = c.position - 1 "
            f"LEFT JOIN {self.chain} a ON a.originator_id = c.originator_id "
            "AND a.originator_version = c.originator_version - 1 "
            f"LEFT JOIN {self.events} e ON e.originator_id = c.originator_id "
            f"AND e.originator_version = c.originator_version WHERE {where} ORDER BY {order}"
        )
        return self._fetch(statement, params)

    def _fetch(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._sql(statement), list(params))
            return [dict(r) for r in curs.fetchall()]

    def chain_page(self, after_position: int, limit: int) -> list[ChainRow]:
        """The chain rows after a position, in chain order, joined to their events."""
        return [_row(r) for r in self._rows("c.position > ?", "c.position LIMIT ?", [after_position, limit])]

    def chain_of(self, originator_id: Any) -> list[ChainRow]:
        """One aggregate's chain rows, in version order, joined to their events."""
        return [
            _row(r)
            for r in self._rows("c.originator_id = ?", "c.originator_version", [self._id(originator_id)])
        ]

    def chain_head(self) -> tuple[int, str] | None:
        found = self._fetch(f"SELECT position, chain_hash FROM {self.chain} ORDER BY position DESC LIMIT 1")
        return (int(found[0]["position"]), found[0]["chain_hash"]) if found else None

    def chain_at(self, position: int) -> str | None:
        found = self._fetch(f"SELECT chain_hash FROM {self.chain} WHERE position = ?", [position])
        return found[0]["chain_hash"] if found else None

    def adopt_unchained(self, page: int = 1000) -> int:
        """Chain a store written before the chain existed: a one-off, only on an empty chain.

        Runs in one transaction under the store's write lock, in notification order (which
        keeps each aggregate's versions in order), a page of events at a time.
        """
        head, after = (0, GENESIS), 0
        previous: dict[str, str] = {}
        with self.datastore.transaction(commit=True) as curs:
            self._lock_writes(curs)
            curs.execute(self._sql(f"SELECT COUNT(*) AS n FROM {self.chain}"))
            if curs.fetchone()["n"]:
                raise RuleViolationError("the chain already has records; adopt is for a store without one")
            while rows := self._events_after(curs, after, page):
                records = [
                    (r["originator_id"], r["originator_version"], r["nid"], r["topic"], bytes(r["state"]))
                    for r in rows
                ]
                links = next_links(head, previous, records)
                curs.executemany(
                    self._sql(f"INSERT INTO {self.chain} VALUES (?, ?, ?, ?, ?, ?)"),
                    [
                        (pos, r["originator_id"], v, nid, rh, ch)
                        for r, (pos, _, v, nid, rh, ch) in zip(rows, links, strict=True)
                    ],
                )
                head, after = (links[-1][0], links[-1][5]), rows[-1]["nid"]
        return head[0]

    def _events_after(self, curs: Any, after: int, page: int) -> list[Any]:
        curs.execute(
            self._sql(
                f"SELECT {self.nid} AS nid, originator_id, originator_version, topic, state "
                f"FROM {self.events} WHERE {self.nid} > ? ORDER BY {self.nid} LIMIT ?"
            ),
            (after, page),
        )
        return list(curs.fetchall())

    def _lock_writes(self, curs: Any) -> None:
        # SQLite: a write takes the database's one write lock for the rest of the transaction.
        curs.execute(f"DELETE FROM {self.chain} WHERE position < 0")

    def chain_count(self) -> int:
        return int(self._fetch(f"SELECT COUNT(*) AS n FROM {self.chain}")[0]["n"])

    def unchained_event(self, originator_id: Any = None) -> tuple[str, int] | None:
        """The first stored event that has no chain row (written around the recorder)."""
        where, params = (
            ("", []) if originator_id is None else (" AND e.originator_id = ?", [self._id(originator_id)])
        )
        found = self._fetch(
            f"SELECT e.originator_id, e.originator_version FROM {self.events} e "
            f"LEFT JOIN {self.chain} c ON c.originator_id = e.originator_id "
            f"AND c.originator_version = e.originator_version WHERE c.position IS NULL{where} "
            f"ORDER BY e.{self.nid} LIMIT 1",
            params,
        )
        return (
            (canonical_id(found[0]["originator_id"]), int(found[0]["originator_version"])) if found else None
        )


def _first_of_each(stored: Sequence[StoredEvent]) -> list[StoredEvent]:
    seen: dict[Any, StoredEvent] = {}
    for s in stored:
        seen.setdefault(s.originator_id, s)
    return list(seen.values())


def _row(r: dict[str, Any]) -> ChainRow:
    event = None
    if r["event_nid"] is not None:
        event = StoredRecord(int(r["event_nid"]), r["topic"], bytes(r["state"]))
    return ChainRow(
        position=int(r["position"]),
        originator_id=canonical_id(r["originator_id"]),
        version=int(r["originator_version"]),
        notification_id=int(r["notification_id"]),
        record_hash=r["record_hash"],
        chain_hash=r["chain_hash"],
        previous_chain_hash=r["previous_chain_hash"],
        previous_record_hash=r["previous_record_hash"],
        event=event,
    )


class ChainedSQLiteRecorder(ChainSQL, SQLiteApplicationRecorder):
    """SQLite: the rowid is the notification id; one writer at a time."""

    nid = "rowid"

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events") -> None:
        # Named before the base class asks for the create statements.
        self.events = events_table_name
        self.chain = chain_table_name(events_table_name)
        super().__init__(datastore, events_table_name)

    def _id(self, originator_id: Any) -> Any:
        # The library stores SQLite ids as uuid hex; join on the same spelling.
        return originator_id.hex if isinstance(originator_id, UUID) else originator_id

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {self.chain} ("
            "position INTEGER PRIMARY KEY, originator_id TEXT NOT NULL, "
            "originator_version INTEGER NOT NULL, notification_id INTEGER NOT NULL, "
            "record_hash TEXT NOT NULL, chain_hash TEXT NOT NULL, "
            "UNIQUE (originator_id, originator_version))",
        ]

    def _insert_events(
        self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # A refusal (`previous_hashes`) must come before the insert in a unit of work, which has
        # no savepoint here and holds the write lock from its start; outside one it comes after,
        # as the transaction's first statement must be the write (a read first would hold a
        # snapshot that another writer's commit makes too old to write on: "database is locked"),
        # and the library's transaction rolls the insert back.
        unit = units.current()
        in_unit = unit is not None and unit.datastore is self.datastore
        previous = self.previous_hashes(c, stored_events) if in_unit else None
        ids = super()._insert_events(c, stored_events, **kwargs)
        if stored_events:
            assert ids is not None
            self._write_links(c, stored_events, ids, previous)
        return ids


def binary_insert(recorder: PostgresAggregateRecorder, *, returning: bool = False) -> None:
    """The library's insert of events (or snapshots), with them as a binary parameter (%b). In
    the text format psycopg escapes every field of every event by regular expression: 11% of the
    CPU of a batch of a hundred commands, half of it for the plan's snapshot."""
    returned = " RETURNING notification_id" if returning else ""
    recorder.insert_events_statement = SQL(
        "INSERT INTO {schema}.{table} AS t (originator_id, originator_version, topic, state)"
        " SELECT originator_id, originator_version, topic, state"
        " FROM unnest(%b::{schema}.{stored_event_type}[])" + returned
    ).format(
        schema=Identifier(recorder.datastore.schema),
        table=Identifier(recorder.events_table_name),
        stored_event_type=Identifier(recorder.stored_event_type_name),
    )


class ChainedPostgresRecorder(ChainSQL, PostgresApplicationRecorder):
    """PostgreSQL: the chain row is written after the insert, under the same table lock."""

    nid = "notification_id"

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        schema = datastore.schema
        self.events = f'"{schema}"."{events_table_name}"'
        self.chain = f'"{schema}"."{chain_table_name(events_table_name)}"'
        binary_insert(self, returning=True)
        self._previous = threading.local()  # from _insert_events to the chain rows after the insert
        self._notify = SQL("NOTIFY {0}").format(Identifier(self.channel_name))

    # The library's utility statements of an insert, never prepared: as the unit's transaction
    # control (unit.py), so that pg_stat_statements counts them. Preparing them gains nothing.
    def _lock_table(self, curs: Any) -> None:
        for statement in self.lock_table_statements:  # the lock timeout, then LOCK TABLE
            curs.execute(statement, prepare=False)

    def _notify_channel(self, curs: Any) -> None:
        curs.execute(self._notify, prepare=False)

    def create_table(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                f"CREATE TABLE IF NOT EXISTS {self.chain} ("
                "position bigint PRIMARY KEY, "
                f"originator_id {self.datastore.originator_id_type} NOT NULL, "
                "originator_version bigint NOT NULL, notification_id bigint NOT NULL, "
                "record_hash text NOT NULL, chain_hash text NOT NULL, "
                "UNIQUE (originator_id, originator_version))"
            )

    def _sql(self, statement: str) -> Any:
        return statement.replace("?", "%s")

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """In a unit of work: on its connection, under a savepoint, so that a conflict (which the
        plan writer retries) undoes only this insert, not the unit. The library's own nested
        transaction cannot do that in pipeline mode: after the failed statement its RELEASE fails
        too, and the conflict would surface as an aborted transaction."""
        unit = units.current()
        if unit is None or unit.datastore is not self.datastore:
            return super().insert_events(stored_events, **kwargs)
        connection = unit.connection()
        ids: Sequence[int] | None = None
        failed: BaseException | None = None
        with units.translated():
            with connection.pipeline() as pipeline, connection.cursor() as curs:
                curs.execute("SAVEPOINT insert_events", prepare=False)  # counted, as in unit.py
                try:
                    self._insert_events(curs, stored_events, **kwargs)
                    if stored_events:
                        self._insert_stored_events(curs, stored_events, **kwargs)
                        pipeline.sync()
                        ids = self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
                except Exception as error:  # noqa: BLE001 - re-raised below, once the pipeline has ended
                    failed = error
            if failed is not None:
                connection.execute("ROLLBACK TO SAVEPOINT insert_events", prepare=False)
                raise failed
        return ids

    def _lock_writes(self, curs: Any) -> None:
        curs.execute(f"LOCK TABLE {self.events} IN EXCLUSIVE MODE")

    def _insert_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        """Before the insert, in its transaction: each record's last hash, and the refusal of a
        gap (`previous_hashes`), kept for the chain rows written after it in this thread."""
        super()._insert_events(curs, stored_events, **kwargs)
        self._previous.hashes = self.previous_hashes(curs, stored_events)

    def _fetch_ids_after_insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        assert ids is not None
        previous, self._previous.hashes = getattr(self._previous, "hashes", None), None
        self._write_links(curs, stored_events, ids, previous)
        return ids
