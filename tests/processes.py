"""Projection workers as child processes, and bounded waits on them.

Each worker writes its log to `worker-<pid>.log` in the test's data directory; when a
test fails, `tests/conftest.py` attaches those logs to the failure report, so a worker
that died or stalled in CI says why.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from eenplan.api.settings import Settings

EENPLAN = Path(sys.executable).parent / "eenplan"


def worker(settings: Settings, *names: str, **env: str) -> subprocess.Popen[bytes]:
    """`eenplan project run [names]` on the test's store; `env` sets EENPLAN_<KEY> settings."""
    environment = {
        **os.environ,
        "EENPLAN_DATABASE_URL": settings.database_url,
        "EENPLAN_DATA_DIR": str(settings.data_dir),
        **{f"EENPLAN_{k.upper()}": v for k, v in env.items()},
    }
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    starting = settings.data_dir / f"worker-starting-{time.monotonic_ns()}.log"
    with starting.open("wb") as log:
        process = subprocess.Popen(
            [str(EENPLAN), "project", "run", *names], env=environment, stdout=log, stderr=subprocess.STDOUT
        )
    starting.rename(settings.data_dir / f"worker-{process.pid}.log")
    return process


def started(settings: Settings, process: subprocess.Popen[bytes]) -> bool:
    """Whether a worker has built its container and runs; a worker that exited fails the test."""
    log = (settings.data_dir / f"worker-{process.pid}.log").read_text(errors="replace")
    if process.poll() is not None:
        raise AssertionError(f"worker {process.pid} exited with {process.returncode}: {log[-3000:]}")
    return "projection worker running" in log


def worker_logs(data_dir: Path) -> list[tuple[str, str]]:
    """(file name, its last 20,000 characters) of every worker log in a data directory."""
    return [
        (log.name, log.read_text(errors="replace")[-20_000:]) for log in sorted(data_dir.glob("worker-*.log"))
    ]


def until(condition: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for: {what}")
        time.sleep(0.05)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as a supervisor stops a worker; one that ignores it is killed and fails the test."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError(f"worker {process.pid} did not stop within 20 s of SIGTERM") from None
