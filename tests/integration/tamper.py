"""Raw SQL on the store under test, as someone with database access would tamper with it.

Only tests use this: it goes around the application on purpose.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg

from eenplan.domain.audit.chain import GENESIS, canonical_id, chain_link, record_digest, record_link


class RawStore:
    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.sqlite = database_url.startswith("sqlite")
        self.events = "stored_events" if self.sqlite else "eenplan_events"
        self.chain = "stored_chain" if self.sqlite else "eenplan_chain"
        self.nid = "rowid" if self.sqlite else "notification_id"
        self.snapshots = "stored_snapshots" if self.sqlite else "eenplan_snapshots"

    def key(self, plan_id: str) -> Any:
        return UUID(plan_id).hex if self.sqlite else UUID(plan_id)

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        if self.sqlite:
            conn = sqlite3.connect(self.url.removeprefix("sqlite:///"))
            try:
                yield conn.cursor()
                conn.commit()
            finally:
                conn.close()
        else:
            with psycopg.connect(self.url) as pg, pg.cursor() as cursor:
                yield cursor

    def run(self, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        if not self.sqlite:
            statement = statement.replace("?", "%s")
        with self._cursor() as cursor:
            cursor.execute(statement, params)
            return list(cursor.fetchall()) if cursor.description else []

    def flip_one_byte(self, plan_id: str, version: int) -> None:
        where = "WHERE originator_id = ? AND originator_version = ?"
        ((state,),) = self.run(f"SELECT state FROM {self.events} {where}", self.key(plan_id), version)
        changed = bytearray(state)
        changed[len(changed) // 2] ^= 0x01
        self.run(f"UPDATE {self.events} SET state = ? {where}", bytes(changed), self.key(plan_id), version)

    def delete_event(self, plan_id: str, version: int) -> None:
        self.run(
            f"DELETE FROM {self.events} WHERE originator_id = ? AND originator_version = ?",
            self.key(plan_id),
            version,
        )

    def delete_everything_of(self, plan_id: str) -> None:
        """Delete a whole plan: its events and its chain rows."""
        for table in (self.events, self.chain):
            self.run(f"DELETE FROM {table} WHERE originator_id = ?", self.key(plan_id))

    def swap_log_order(self, plan_id: str, version_a: int, version_b: int) -> None:
        """Swap two events' notification ids: the log now tells them in the other order."""
        (a,), (b,) = (
            self.run(
                f"SELECT {self.nid} FROM {self.events} WHERE originator_id = ? AND originator_version = ?",
                self.key(plan_id),
                v,
            )[0]
            for v in (version_a, version_b)
        )
        for old, new in ((a, -1), (b, a), (-1, b)):
            self.run(f"UPDATE {self.events} SET {self.nid} = ? WHERE {self.nid} = ?", new, old)

    def delete_chain_tail(self, count: int) -> None:
        """Delete the newest records, events and chain rows alike: only an anchor can tell."""
        rows = self.run(
            f"SELECT originator_id, originator_version FROM {self.chain} ORDER BY position DESC LIMIT ?",
            count,
        )
        for originator_id, version in rows:
            for table in (self.events, self.chain):
                self.run(
                    f"DELETE FROM {table} WHERE originator_id = ? AND originator_version = ?",
                    originator_id,
                    version,
                )

    def rewrite_snapshot(self, plan_id: str, old: bytes, new: bytes) -> int:
        """Replace bytes inside a plan's newest snapshot; returns its version."""
        ((version, state),) = self.run(
            f"SELECT originator_version, state FROM {self.snapshots} WHERE originator_id = ? "
            "ORDER BY originator_version DESC LIMIT 1",
            self.key(plan_id),
        )
        assert old in bytes(state)
        self.run(
            f"UPDATE {self.snapshots} SET state = ? WHERE originator_id = ? AND originator_version = ?",
            bytes(state).replace(old, new),
            self.key(plan_id),
            version,
        )
        return int(version)

    def rewrite_event(self, plan_id: str, version: int, change: Callable[[dict[str, Any]], None]) -> None:
        """Change a stored event's JSON state in place, as a person with write access to the table could."""
        where = "WHERE originator_id = ? AND originator_version = ?"
        ((state,),) = self.run(f"SELECT state FROM {self.events} {where}", self.key(plan_id), version)
        data = json.loads(bytes(state))
        change(data)
        changed = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
        self.run(f"UPDATE {self.events} SET state = ? {where}", changed, self.key(plan_id), version)

    def relink_chain(self) -> None:
        """Recompute every chain hash from the stored events: an insider who knows the algorithm
        covers an edit, so only what the hashes cannot forge is left to find it."""
        rows = self.run(
            f"SELECT c.position, c.originator_id, c.originator_version, c.notification_id, e.topic, e.state "
            f"FROM {self.chain} c JOIN {self.events} e ON e.originator_id = c.originator_id "
            "AND e.originator_version = c.originator_version ORDER BY c.position"
        )
        chain, records, links = GENESIS, {}, []
        for position, originator_id, version, nid, topic, state in rows:
            key = canonical_id(originator_id)
            digest = record_digest(key, version, nid, topic, bytes(state))
            record = record_link(records.get(key, GENESIS), digest)
            records[key], chain = record, chain_link(chain, position, record)
            links.append((record, chain, position))
        update = f"UPDATE {self.chain} SET record_hash = ?, chain_hash = ? WHERE position = ?"
        with self._cursor() as cursor:
            cursor.executemany(update if self.sqlite else update.replace("?", "%s"), links)

    def privacy_key(self, key_id: str) -> str | None:
        rows = self.run("SELECT wrapped FROM privacy_keys WHERE key_id = ?", key_id)
        return str(rows[0][0]) if rows and rows[0][0] is not None else None
