"""The application as the API runs it: every command in a span, counted and timed.

The domain may not import OpenTelemetry, so subclasses of its areas wrap the command
methods from outside, and this subclass of `Eenplan` runs with them: a span
`command <type>`, the command counter and latency histogram (by type and outcome), and
conflicts and retries seen by the store's retrying writers (observed at `save`, where
another writer's version surfaces as IntegrityError).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from eventsourcing.persistence import IntegrityError
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from eenplan.api.telemetry import metrics
from eenplan.domain.app import Eenplan, Outcome
from eenplan.domain.app.directory import Directory
from eenplan.domain.app.plans import Plans
from eenplan.domain.directory import Organisation, Professional, Team
from eenplan.domain.errors import DomainError

T = TypeVar("T")
tracer = trace.get_tracer("eenplan.commands")
# Conflicts seen by the command running in this thread (None: not inside a command).
_conflicts: ContextVar[int | None] = ContextVar("eenplan_conflicts", default=None)


def _outcome(error: BaseException | None) -> str:
    if error is None:
        return "ok"
    if isinstance(error, DomainError):
        return type(error).__name__.removesuffix("Error").lower()
    return "failed"


@contextmanager
def command_span(kind: str, **attributes: str) -> Iterator[None]:
    """Span, counter, latency and conflict/retry counts for one command of type `kind`."""
    token = _conflicts.set(0)
    started, error = time.perf_counter(), None
    with tracer.start_as_current_span(f"command {kind}") as span:
        span.set_attribute("eenplan.command.type", kind)
        for key, value in attributes.items():
            span.set_attribute(f"eenplan.{key}", value)
        try:
            yield
        except BaseException as e:
            error = e
            span.set_status(Status(StatusCode.ERROR, type(e).__name__))
            raise
        finally:
            _record(kind, error, time.perf_counter() - started, _conflicts.get() or 0)
            _conflicts.reset(token)


def _record(kind: str, error: BaseException | None, seconds: float, conflicts: int) -> None:
    labels = {"type": kind, "outcome": _outcome(error)}
    metrics.commands.add(1, labels)
    metrics.command_duration.record(seconds, labels)
    if conflicts:
        metrics.conflicts.add(conflicts, {"type": kind})
        # Every conflict is retried, except the last one when the command then failed
        # (If-Match given, member id taken, or the retries ran out).
        retried = conflicts if error is None else conflicts - 1
        if retried:
            metrics.retries.add(retried, {"type": kind})


def traced(kind: str, method: Callable[..., T]) -> Callable[..., T]:
    def run(*args: Any, **kwargs: Any) -> T:
        with command_span(kind):
            return method(*args, **kwargs)

    return run


class InstrumentedPlans(Plans):
    """Plan commands, each in a span: `command <type>`, or `command batch` for a batch."""

    def execute(self, ctx: Any, plan_id: Any, cmd: Any, *args: Any, **kwargs: Any) -> Outcome:
        with command_span(str(cmd.type), plan_id=str(plan_id)):
            return super().execute(ctx, plan_id, cmd, *args, **kwargs)

    def execute_batch(self, ctx: Any, plan_id: Any, cmds: Any, *args: Any, **kwargs: Any) -> Outcome:
        if _conflicts.get() is not None:  # called by `execute`: already inside its command span
            return super().execute_batch(ctx, plan_id, cmds, *args, **kwargs)
        with command_span("batch", plan_id=str(plan_id)):
            return super().execute_batch(ctx, plan_id, cmds, *args, **kwargs)

    def open_plan(self, *args: Any, **kwargs: Any) -> Outcome:
        return traced("open_plan", super().open_plan)(*args, **kwargs)


class InstrumentedDirectory(Directory):
    """Directory registrations, each in a span."""

    def register_organisation(self, *args: Any, **kwargs: Any) -> Organisation:
        return traced("register_organisation", super().register_organisation)(*args, **kwargs)

    def register_professional(self, *args: Any, **kwargs: Any) -> Professional:
        return traced("register_professional", super().register_professional)(*args, **kwargs)

    def register_team(self, *args: Any, **kwargs: Any) -> Team:
        return traced("register_team", super().register_team)(*args, **kwargs)


class InstrumentedEenplan(Eenplan):
    """`Eenplan` with telemetry; same name, same tables, same behaviour."""

    # eventsourcing names a subclass after itself (and its tables after the name): keep Eenplan's.
    name = Eenplan.name
    directory_class = InstrumentedDirectory
    plans_class = InstrumentedPlans

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        try:
            return super().save(*objs, **kwargs)
        except IntegrityError:
            seen = _conflicts.get()
            if seen is not None:
                _conflicts.set(seen + 1)
            raise
