"""Processes that start together on one PostgreSQL: each creates the schema in turn, none dies.

Without the lock (api/schemalock.py), six processes building eenplan at once on one database
lost one or more of them to "tuple concurrently updated" (eventsourcing's CREATE OR REPLACE
FUNCTION) or a duplicate pg_type row, in about a third of the rounds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import psycopg
import pytest

from eenplan.api.bootstrap import build
from eenplan.api.settings import Settings
from eenplan.api.store import schemalock
from eenplan.api.store.schemalock import SCHEMA_DDL, SchemaLockTimeoutError
from tests.conftest import STORE
from tests.processes import until

pytestmark = pytest.mark.skipif(STORE != "postgres", reason="concurrent DDL is PostgreSQL's problem")
BUILD = (
    "from eenplan.api.bootstrap import build; from eenplan.api.settings import Settings; "
    "build(Settings()).close()"
)


@pytest.fixture
def holder(settings: Settings) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A session that holds the start-up DDL lock, as a process in the middle of its DDL would."""
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s, 0)", (SCHEMA_DDL,))
        yield conn


def waiting_for_the_schema_lock(settings: Settings) -> int:
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name = 'eenplan-schema-lock' AND wait_event = 'advisory'"
        ).fetchone()
    return int(row[0]) if row else 0


@pytest.mark.parametrize("database", ["fresh", "built before"])
def test_six_processes_starting_at_once_all_come_up(settings: Settings, database: str) -> None:
    if database == "built before":
        build(settings).close()
    env = {
        **os.environ,
        "EENPLAN_DATABASE_URL": settings.database_url,
        "EENPLAN_DATA_DIR": str(settings.data_dir),
    }
    starters = [
        subprocess.Popen(
            [sys.executable, "-c", BUILD],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(6)
    ]
    outputs = [p.communicate(timeout=120)[0].decode(errors="replace") for p in starters]
    failed = [out[-3000:] for p, out in zip(starters, outputs, strict=True) if p.returncode]
    assert failed == [], failed


def test_a_start_waits_while_another_process_runs_its_ddl(
    settings: Settings, holder: psycopg.Connection[tuple[object, ...]]
) -> None:
    built: list[object] = []
    starting = threading.Thread(target=lambda: built.append(build(settings)))
    starting.start()
    try:
        until(lambda: waiting_for_the_schema_lock(settings) == 1, timeout=30, what="the start to queue")
        assert built == [], "it must not create tables while another process does"
        holder.execute("SELECT pg_advisory_unlock(%s, 0)", (SCHEMA_DDL,))
        starting.join(timeout=60)
        assert len(built) == 1
    finally:
        holder.execute("SELECT pg_advisory_unlock_all()")
        starting.join(timeout=60)
        for container in built:
            container.close()  # type: ignore[attr-defined]


def test_a_start_that_waits_too_long_says_who_it_waited_for(
    settings: Settings, holder: psycopg.Connection[tuple[object, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schemalock, "WAIT_SECONDS", 1)
    with pytest.raises(SchemaLockTimeoutError, match="eenplan-schema-lock"):
        build(settings)
