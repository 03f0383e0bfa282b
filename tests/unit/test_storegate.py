"""The store gate fails fast while the store is down and opens when a probe finds it up."""

from __future__ import annotations

import psycopg
import pytest

from eenplan.api.store import gate as storegate
from eenplan.api.store.gate import StoreGate


def test_a_tripped_gate_refuses_until_a_probe_finds_the_store_up(monkeypatch: pytest.MonkeyPatch) -> None:
    store_up = False
    probes = []

    def probe() -> None:
        probes.append(store_up)
        if not store_up:
            raise psycopg.OperationalError("connection refused")

    monkeypatch.setattr(storegate, "PROBE_INTERVAL", 0.0)
    gate = StoreGate(probe)
    assert gate.may_pass() and not probes  # an untripped gate never probes
    gate.trip()
    assert gate.down
    assert not gate.may_pass()
    store_up = True
    assert gate.may_pass()
    assert not gate.down
    assert probes == [False, True]


def test_within_the_probe_interval_a_tripped_gate_refuses_without_probing() -> None:
    probes: list[int] = []
    gate = StoreGate(lambda: probes.append(1))
    gate.trip()
    assert not gate.may_pass()
    assert probes == []


def test_a_failure_shuts_the_gate_only_when_a_probe_finds_no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """A busy store (a pool or lock wait that ran out) still answers a probe: the gate stays open."""
    store_up = True
    probes: list[bool] = []

    def probe() -> None:
        probes.append(store_up)
        if not store_up:
            raise psycopg.OperationalError("connection refused")

    gate = StoreGate(probe)
    assert not gate.suspect() and not gate.down
    assert not gate.suspect()  # within the interval after a probe that found it up: no second probe
    assert probes == [True]
    monkeypatch.setattr(storegate, "PROBE_INTERVAL", 0.0)
    gate = StoreGate(probe)
    store_up = False
    assert gate.suspect() and gate.down
    assert probes == [True, False]


def test_a_store_without_a_server_never_shuts_its_gate() -> None:
    """SQLite: nothing to probe, so no failure shuts out every other request for a second."""
    gate = StoreGate(None)
    gate.trip()
    assert not gate.suspect()
    assert not gate.down and gate.may_pass()
