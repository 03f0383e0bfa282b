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
