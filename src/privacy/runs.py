"""Processing-log lines for work that no HTTP request carries: CLI commands, the server's own jobs.

What `api.http.processing.LoggedRoute` does for a request, `logged(...)` does around a block of
work. The application's paths note what they processed (`privacy.processing.note_processing`),
as they do under HTTP; when the block ends, one line per data subject is written, like an HTTP
command's, with these differences: whoever ran the work (a CLI operator, the server's
housekeeping) is the requesting user, and the actor the change was recorded for follows it;
every run is a trace of its own; the resource's `nen7513.AuditSourceId` names the runner
(`eenplan-cli`, `eenplan-housekeeping`). A run that fails writes the lines of what it had noted,
with its outcome (`outcome_of(error)`: refused for a domain error, else failed).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from eenplan.domain.app import Eenplan
from eenplan.domain.context import Actor
from eenplan.privacy import attempts, processing
from eenplan.privacy.outcome import SUCCESS, Outcome
from eenplan.privacy.processing import Noted, Operation, ProcessingLog


@dataclass(frozen=True)
class Runner:
    """Who runs work outside a request: its source system, its name for lines, who asks."""

    source: str  # NEN 7513 AuditSourceId
    prefix: str  # lines are named `<prefix>:<command>[:<operation>]`
    by: str  # the requesting user
    outcome_of: Callable[[Exception], Outcome]


@contextmanager
def logged(
    eenplan: Eenplan, log: ProcessingLog, runner: Runner, command: str, activity: str
) -> Iterator[None]:
    """Log what the block processed, per data subject, when it ends (or fails)."""
    run = Run(runner, f"{runner.prefix}:{command}", activity, os.urandom(16).hex(), processing.now())
    notes = processing.begin()
    try:
        yield
    except Exception as error:
        _write(eenplan, log, notes, run, runner.outcome_of(error))
        raise
    _write(eenplan, log, notes, run, SUCCESS)


@dataclass(frozen=True)
class Run:
    """One run: who runs it, its name, activity, trace and start."""

    runner: Runner
    name: str
    activity: str
    trace_id: str
    started: datetime

    def operation(self, note: Noted, outcome: Outcome) -> Operation:
        return Operation(
            trace_id=self.trace_id,
            parent_span_id=None,
            name=f"{self.name}:{note.operation}" if note.operation else self.name,
            activity_id=note.activity or self.activity,
            started=self.started,
            ended=processing.now(),
            outcome=note.outcome or outcome,
            relation=note.relation,
            source=self.runner.source,
            operator=self.runner.by,
        )


def _write(eenplan: Eenplan, log: ProcessingLog, notes: list[Noted], run: Run, outcome: Outcome) -> None:
    entries: list[tuple[Operation, Actor, str, str, list[str]]] = []
    for note in notes:
        if note is processing.NOTHING or (note.attempt and outcome.successful):
            continue
        found = _subjects(eenplan, note)
        if found is not None:
            tenant, members = found
            entries.append((run.operation(note, outcome), note.actor, tenant, note.plan_id, members))
    if entries:
        log.write_all(entries)


def _subjects(eenplan: Eenplan, note: Noted) -> tuple[str, list[str]] | None:
    """The note's tenant and data subjects, known to it or looked up in the store (any tenant)."""
    if note.tenant is not None and note.member_ids is not None:
        return note.tenant, [*note.member_ids, *note.also]
    concerned = attempts.plan_subjects(eenplan, note.plan_id)
    if concerned is None:
        return None
    members = note.member_ids if note.member_ids is not None else concerned.member_ids
    return concerned.tenant, [*members, *note.also]
