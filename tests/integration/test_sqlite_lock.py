"""SQLite's write lock, taken fairly: a writer gets its turn while another process keeps writing.

The other process takes the lock back to back, as a server process does whose writers hand it
on to each other. With SQLite's own busy handler (sleeps of up to 100 ms between tries) the
waiting writer often slept through every hand-over until its timeout; `begin_immediate` gets in.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from eenplan.sqlite_lock import begin_immediate
from tests.conftest import STORE

pytestmark = pytest.mark.skipif(STORE != "sqlite", reason="SQLite's write lock, not the store under test")

HAMMER = """
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
print("writing", flush=True)
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    c.execute("BEGIN IMMEDIATE")
    c.execute("INSERT INTO t VALUES (1)")
    time.sleep(0.005)
    c.execute("COMMIT")
"""


def test_a_writer_gets_the_lock_while_another_process_takes_it_back_to_back(tmp_path: Path) -> None:
    path = str(tmp_path / "store.db")
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode = WAL")
    setup.execute("CREATE TABLE t (x INTEGER)")
    setup.close()
    hammer = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(HAMMER), path, "30"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert hammer.stdout is not None and hammer.stdout.readline().strip() == "writing"
        time.sleep(0.2)
        connection = sqlite3.connect(path, timeout=7, isolation_level=None)
        for _ in range(3):
            begin_immediate(connection, 10)  # raises "database is locked" if it never got a turn
            connection.execute("INSERT INTO t VALUES (2)")
            connection.execute("COMMIT")
        (busy_ms,) = connection.execute("PRAGMA busy_timeout").fetchone()
        assert busy_ms == 7000  # the connection's own busy timeout is back for its other statements
        assert hammer.poll() is None  # the other process was still writing all along
        connection.close()
    finally:
        hammer.kill()
        hammer.wait()
    check = sqlite3.connect(path)
    assert check.execute("SELECT COUNT(*) FROM t WHERE x = 2").fetchone() == (3,)
    check.close()
