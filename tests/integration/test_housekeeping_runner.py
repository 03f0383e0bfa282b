"""The server's own jobs on the real stores: one process at a time, once per interval, failures logged.

Two `JobRunner`s on one store stand for two API processes (or one before and one after a
restart): on PostgreSQL their turn is an advisory lock, on SQLite a file lock.
"""

from __future__ import annotations

from typing import Any

from structlog.testing import capture_logs

from eenplan.api.http.housekeeping import run_job
from eenplan.api.settings import Settings
from eenplan.api.store.housekeeping import JobRunner


def runners(settings: Settings) -> tuple[JobRunner, JobRunner]:
    first, second = JobRunner(settings), JobRunner(settings)
    first.create_table()
    return first, second


def test_a_job_runs_once_per_interval_across_processes_and_restarts(settings: Settings) -> None:
    first, second = runners(settings)
    runs: list[str] = []
    assert first.run_if_due("retention", 3600, lambda: runs.append("first") or "ran") == "ran"
    assert second.run_if_due("retention", 3600, lambda: runs.append("second")) is None
    assert JobRunner(settings).run_if_due("retention", 3600, lambda: runs.append("restart")) is None
    assert second.run_if_due("retention", 0.0, lambda: runs.append("due again") or "ran") == "ran"
    assert runs == ["first", "due again"]


def test_while_one_process_runs_a_job_another_does_not_start_it(settings: Settings) -> None:
    first, second = runners(settings)
    seen: dict[str, Any] = {}

    def long_job() -> str:
        seen["other"] = second.run_if_due("retention", 0.0, lambda: "twice")
        return "once"

    assert first.run_if_due("retention", 0.0, long_job) == "once"
    assert seen["other"] is None
    assert second.run_if_due("erasure_completion", 0.0, lambda: "another job") == "another job"


def test_a_failing_job_is_logged_does_not_raise_and_stays_due(settings: Settings) -> None:
    first, _second = runners(settings)

    def outage() -> dict[str, Any]:
        raise ConnectionError("the store went away")

    with capture_logs() as logs:
        run_job(first, "retention", 3600, outage)
    assert [(e["event"], e["job"], e["error_type"]) for e in logs] == [
        ("housekeeping_failed", "retention", "ConnectionError")
    ]
    with capture_logs() as logs:
        run_job(first, "retention", 3600, lambda: {"plans_erased": 0})
    assert [(e["event"], e["plans_erased"]) for e in logs] == [("housekeeping_done", 0)]
