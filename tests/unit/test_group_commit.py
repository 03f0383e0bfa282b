"""Group commit: concurrent callers share writes, each returns only once its own entries are in."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from eenplan.api.store.group_commit import GroupCommit


class SlowStore:
    """A writer that takes a while per call and remembers what each call wrote."""

    def __init__(self, seconds: float = 0.02, refuse: object = None) -> None:
        self.calls: list[list[object]] = []
        self.committed: set[object] = set()
        self.seconds, self.refuse = seconds, refuse
        self.lock = threading.Lock()

    def write_all(self, entries: list[object]) -> None:
        time.sleep(self.seconds)
        if self.refuse in entries:
            raise ValueError(f"bad entry {self.refuse}")
        with self.lock:
            self.calls.append(entries)
            self.committed.update(entries)


def test_concurrent_callers_share_writes_and_each_returns_after_its_own_entries_are_committed() -> None:
    store = SlowStore()
    group: GroupCommit[object] = GroupCommit(store.write_all)

    def write(i: int) -> bool:
        group.write_all([i, i + 1000])
        with store.lock:  # when write_all returns, the caller's entries are in
            return {i, i + 1000} <= store.committed

    with ThreadPoolExecutor(16) as pool:
        assert all(pool.map(write, range(64)))
    assert store.committed == set(range(64)) | set(range(1000, 1064))
    assert sum(len(c) for c in store.calls) == 128  # each entry written exactly once
    assert len(store.calls) < 64  # shared: fewer writes than callers


def test_a_bad_entry_fails_its_own_caller_only() -> None:
    store = SlowStore(refuse="bad")
    group: GroupCommit[object] = GroupCommit(store.write_all)
    barrier = threading.Barrier(8)

    def write(i: int) -> str:
        barrier.wait()
        try:
            group.write_all(["bad" if i == 3 else i])
        except ValueError:
            return "refused"
        return "written"

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(write, range(8)))
    assert answers == ["refused" if i == 3 else "written" for i in range(8)]
    assert store.committed == {0, 1, 2, 4, 5, 6, 7}


def test_a_lone_caller_gets_the_store_error() -> None:
    group: GroupCommit[object] = GroupCommit(SlowStore(0, refuse=1).write_all)
    with pytest.raises(ValueError, match="bad entry 1"):
        group.write_all([1])
    group.write_all([2])  # and the next write goes ahead
