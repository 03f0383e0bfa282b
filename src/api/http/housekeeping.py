"""The server's own periodic work: retention terms and pending erasures, without an operator.

Every API process runs this loop; `api.store.housekeeping.JobRunner` makes each job run
once per interval across all processes and restarts. Retention is daily: closed plans
past their term and signals past theirs are erased (`privacy.retention`), as
`eenplan privacy expire` would. Erasures left pending (a reader held the store's old
pages, or a process died half-way) are completed every few minutes. A failure is
logged and the job stays due; it never stops the server. What retention erases is in the
processing log, one line per data subject (`housekeeping:retention:erase`, from
`eenplan-housekeeping`), as `eenplan privacy expire` logs it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import Any

import structlog
from starlette.concurrency import run_in_threadpool

from eenplan.api.http.problems import describe
from eenplan.api.http.services import Services
from eenplan.api.store.housekeeping import JobRunner
from eenplan.privacy import runs
from eenplan.privacy.erasure import finish_pending
from eenplan.privacy.retention import expire_everywhere

log = structlog.get_logger("eenplan.housekeeping")
MAX_TICK_SECONDS = 60.0
# The server's own jobs ask for what they process themselves: the requesting user of their lines.
HOUSEKEEPING = runs.Runner("eenplan-housekeeping", "housekeeping", "housekeeping", describe)


def jobs(container: Services) -> list[tuple[str, float, Callable[[], dict[str, Any]]]]:
    """(name, interval, work) of each job; work returns what to log (counts, no personal data)."""
    settings, privacy = container.settings, container.privacy

    def retention() -> dict[str, Any]:
        with runs.logged(container.eenplan, privacy.log, HOUSEKEEPING, "retention", "erasure"):
            run = expire_everywhere(privacy, date.today())
        pending = sum(r["status"] == "pending" for r in run.receipts)
        return {"plans_erased": len(run.receipts), "pending": pending, "signals_erased": run.signals_erased}

    def erasures() -> dict[str, Any]:
        completed = finish_pending(privacy, settings.erasure_wait_seconds)
        return {"completed": completed} if completed else {}  # nothing to say most minutes

    return [
        ("retention", settings.retention_interval_seconds, retention),
        ("erasure_completion", settings.erasure_retry_seconds, erasures),
    ]


async def keep_house(container: Services, runner: JobRunner) -> None:
    """Run each job when due, for as long as the server runs."""
    scheduled = jobs(container)
    tick = min(MAX_TICK_SECONDS, *(every for _, every, _ in scheduled))
    while True:
        await asyncio.sleep(tick)
        for name, every, work in scheduled:
            await run_in_threadpool(run_job, runner, name, every, work)


def run_job(runner: JobRunner, name: str, every: float, work: Callable[[], dict[str, Any]]) -> None:
    try:
        done = runner.run_if_due(name, every, work)
    except Exception as error:  # an outage or a bug in one run must not stop the server or the next run
        log.exception("housekeeping_failed", job=name, error_type=type(error).__name__)
        return
    if done:
        log.info("housekeeping_done", job=name, **done)
