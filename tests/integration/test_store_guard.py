"""The store gate's guard: with no PostgreSQL server to reach, the recorder gives up at once.

The address is real and nothing listens on it: a server that is gone, not a mock. Without the
guard the recorder would retry each call ten times, one connect timeout each.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import psycopg
import pytest
from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.utils import retry

from eenplan.api.store.gate import StoreGate, StoreUnavailableError


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

    with pytest.raises(StoreUnavailableError):
        read()
    assert len(checkouts) == 1  # while the gate is shut, no checkout is even tried
    assert probes == []  # and within the probe interval, no probe either


def test_the_guard_leaves_a_sqlite_store_alone() -> None:
    datastore = SQLiteDatastore(":memory:")
    before = datastore.get_connection
    StoreGate(lambda: None).guard(datastore)
    assert datastore.get_connection == before
