"""Processing-log lines for the CLI's writes: what `api.http.processing.LoggedRoute` does for HTTP.

A command that reads or changes personal data runs its work inside `logged(...)`. The
application's paths note what they processed (`privacy.processing.note_processing`), as they do
under HTTP; when the work ends, one line per data subject is written, like an HTTP command's,
with these differences: the operator who ran the command is the requesting user (the actor the
change was recorded for follows it), every run is a trace of its own, and the resource's
`nen7513.AuditSourceId` is `eenplan-cli`. A run that fails writes the lines of what it had
noted, with its outcome (refused for a domain error, else failed).
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from eenplan.api.http.problems import describe
from eenplan.domain.app import Eenplan
from eenplan.domain.context import Actor
from eenplan.privacy import attempts, processing
from eenplan.privacy.outcome import SUCCESS, Outcome
from eenplan.privacy.processing import Noted, Operation, ProcessingLog

SOURCE = "eenplan-cli"


def operator() -> str:
    """Who runs the command: `EENPLAN_OPERATOR`, else the login name, else `cli`."""
    try:
        return os.environ.get("EENPLAN_OPERATOR") or getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        return "cli"


@contextmanager
def logged(
    eenplan: Eenplan, log: ProcessingLog, command: str, activity: str, by: str | None = None
) -> Iterator[None]:
    """Log what `command` processed, per data subject, when the block ends (or fails)."""
    run = Run(command, activity, os.urandom(16).hex(), processing.now(), by or operator())
    notes = processing.begin()
    try:
        yield
    except Exception as error:
        _write(eenplan, log, notes, run, describe(error))
        raise
    _write(eenplan, log, notes, run, SUCCESS)


@dataclass(frozen=True)
class Run:
    """One CLI run: its command, activity, trace, start and operator."""

    command: str
    activity: str
    trace_id: str
    started: datetime
    by: str

    def operation(self, note: Noted, outcome: Outcome) -> Operation:
        name = f"cli:{self.command}:{note.operation}" if note.operation else f"cli:{self.command}"
        return Operation(
            trace_id=self.trace_id,
            parent_span_id=None,
            name=name,
            activity_id=note.activity or self.activity,
            started=self.started,
            ended=processing.now(),
            outcome=note.outcome or outcome,
            relation=note.relation,
            source=SOURCE,
            operator=self.by,
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
