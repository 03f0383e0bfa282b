"""The store gate's guard: with no PostgreSQL server to reach, the recorder gives up at once.

The address is real and nothing listens on it: a server that is gone, not a mock. Without the
guard the recorder would retry each call ten times, one connect timeout each.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg
import pytest
from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.utils import retry

from eenplan.api.store.gate import StoreBusyError, StoreGate, StoreUnavailableError
from tests.conftest import POSTGRES_URL, STORE


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def gone() -> Iterator[PostgresDatastore]:
    datastore = PostgresDatastore(
        dbname="eenplan",
        host="127.0.0.1",
        port=str(_closed_port()),
        user="postgres",
        password="",
        connect_timeout=1,
    )
    yield datastore
    datastore.close()


def test_a_checkout_that_finds_no_server_shuts_the_gate_and_is_not_retried(gone: PostgresDatastore) -> None:
    probes: list[str] = []

    def probe() -> None:
        probes.append("probe")
        raise psycopg.OperationalError("still gone")

    gate = StoreGate(probe)
    checkouts = []
    checkout = gone.get_connection

    def counting(*args: object, **kwargs: object) -> object:
        checkouts.append(1)
        return checkout(*args, **kwargs)

    gone.get_connection = counting  # type: ignore[method-assign]
    gate.guard(gone)

    # The recorders' own retry policy (their constructor needs a server, so it wraps a read here).
    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def read() -> None:
        with gone.transaction(commit=False) as cursor:
            cursor.execute("SELECT 1")

    with pytest.raises(StoreUnavailableError):
        read()
    assert gate.down
    assert len(checkouts) == 1  # one connect timeout, not the recorder's ten attempts
    assert probes == ["probe"]  # the failed checkout was checked against a fresh connection

    with pytest.raises(StoreUnavailableError):
        read()
    assert len(checkouts) == 1  # while the gate is shut, no checkout is even tried
    assert probes == ["probe"]  # and within the probe interval, no probe either


@pytest.mark.skipif(STORE != "postgres", reason="a pool of PostgreSQL connections; SQLite has no server")
def test_a_busy_pool_is_a_busy_store_not_an_outage_and_leaves_the_gate_open() -> None:
    """Every connection of the pool in use past its timeout: the checkout fails at once as busy
    (the recorder does not wait ten more timeouts), and the gate stays open for the others."""
    url = urlsplit(POSTGRES_URL)
    datastore = PostgresDatastore(
        dbname=url.path.lstrip("/"),
        host=url.hostname or "127.0.0.1",
        port=str(url.port or 5432),
        user=url.username or "postgres",
        password=url.password or "",
        pool_size=1,
        max_overflow=0,
        connect_timeout=1,  # also the pool's wait for a free connection
    )
    probes: list[str] = []

    def probe() -> None:
        probes.append("probe")
        with psycopg.connect(POSTGRES_URL, connect_timeout=1) as conn:
            conn.execute("SELECT 1")

    gate = StoreGate(probe)
    gate.guard(datastore)
    try:
        with datastore.get_connection():
            with pytest.raises(StoreBusyError), datastore.get_connection():
                pass
            assert not gate.down and probes == ["probe"]
        with datastore.transaction(commit=False) as cursor:  # free again: it serves
            cursor.execute("SELECT 1")
    finally:
        datastore.close()


def test_the_guard_leaves_a_sqlite_store_alone() -> None:
    datastore = SQLiteDatastore(":memory:")
    before = datastore.get_connection
    StoreGate(None).guard(datastore)
    assert datastore.get_connection == before
