"""Idempotent commands: a repeated key gets the first answer, byte for byte, and records nothing.

The key is the client's `Idempotency-Key` header or `command_id` in the body
(for CloudEvents: `source` + `id`), scoped to the caller (`org`, `sub`). The
request's fingerprint (path, body, acting-for) is kept with the key: the same
key with another request is refused (422). Duplicates arriving while the first
still runs wait for its answer (bounded, then 409 "in progress").

A claim left unanswered by a crashed process is taken over after a while and
settled by the command's `Recovery`: re-run when re-running cannot record twice;
else, as saves are atomic and every event carries the command id, run when the
command recorded no event, and answer from the events it recorded when it did
(`recall`). A command whose answer cannot be rebuilt answers 409.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import structlog
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool

from eenplan.api.http.auth import AuthError
from eenplan.api.http.problems import ProblemError
from eenplan.api.settings import Settings
from eenplan.api.store import unit as units
from eenplan.api.store.idempotency_keys import ERASED, Claim, KeyBusyError, KeyStore, Reply, scoped_key
from eenplan.domain.app import Eenplan
from eenplan.domain.app.effects import Recorded, plan_outcome, recorded_events
from eenplan.domain.context import CommandContext
from eenplan.domain.errors import DomainError
from eenplan.privacy import processing

log = structlog.get_logger("eenplan.idempotency")
POLL_SECONDS = 0.05
# Refusals that happen before anything is saved: the key is given back for a corrected retry.
NOTHING_SAVED = (DomainError, RequestValidationError, AuthError, ProblemError)
T = TypeVar("T")


@dataclass(frozen=True)
class Recovery(Generic[T]):
    """How a claim left unanswered by a dead process is settled (see the module docstring)."""

    # Rebuilds the result from the events the command recorded; None: it cannot be rebuilt.
    recall: Callable[[list[Recorded]], T | None] | None = None
    # The command only does what is still to do (e.g. expiry): running it again records nothing twice.
    rerun_safe: bool = False


PLAN_RECOVERY: Recovery[Any] = Recovery(recall=plan_outcome)


def fingerprint(path: str, body: Any, acting_for: str | None) -> str:
    """What makes two requests the same request."""
    canonical = json.dumps({"path": path, "body": body, "acting_for": acting_for}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


class Idempotency:
    def __init__(self, store: KeyStore, eenplan: Eenplan, settings: Settings) -> None:
        self.store, self.eenplan = store, eenplan
        self.wait_seconds = settings.idempotency_wait_seconds
        self.stale_seconds = settings.idempotency_stale_seconds

    def run(
        self,
        ctx: CommandContext,
        keyed: bool,
        print_: str,
        execute: Callable[[], T],
        render: Callable[[T], Reply],
        recovery: Recovery[T] = PLAN_RECOVERY,
        earlier: Collection[str] = (),
    ) -> Reply:
        """Run `execute` once per key; `ctx.command_id` is the key when `keyed`.

        `render` turns the result into the reply that is stored and given to every repeat.
        `earlier`: fingerprints an earlier release gave this same request, so that a key it stored
        still answers a repeat.
        """
        processing.replaying(False)
        if not keyed:
            return render(execute())
        key, deadline = self._scoped(ctx), time.monotonic() + self.wait_seconds
        owned, claim = self._claim(key, print_, deadline)
        while not owned:
            reply = self._settled(claim, {print_, *earlier}, deadline)
            if reply is not None:
                processing.replaying(True)  # the processing log says: a replay, not a new change
                return reply
            taken = self._take_if_stale(claim)
            if taken is not None:
                return self._recover(taken, ctx, execute, render, recovery)
            time.sleep(POLL_SECONDS)
            found = self.store.get(key)
            owned, claim = (False, found) if found else self._claim(key, print_, deadline)
        return self._execute(claim, execute, render)

    def _claim(self, key: str, print_: str, deadline: float) -> tuple[bool, Claim]:
        """Claim the key. In a unit of work (PostgreSQL) the first request's claim is not visible
        until it commits; the store says so (KeyBusyError) and this polls, as for a visible claim
        without an answer, until the deadline."""
        # In a unit of work the claim commits with the command's events and its answer, so it is
        # never found unanswered and needs no log position to recover from.
        position = 0 if units.current() is not None else self._position()
        while True:
            try:
                return self.store.claim(key, print_, position)
            except KeyBusyError:
                if time.monotonic() > deadline:
                    raise _in_progress() from None
                time.sleep(POLL_SECONDS)

    def _scoped(self, ctx: CommandContext) -> str:
        return scoped_key(ctx.actor.org, ctx.actor.sub, ctx.command_id)

    def _position(self) -> int:
        return self.eenplan.recorder.max_notification_id() or 0

    def _settled(self, claim: Claim, prints: Collection[str], deadline: float) -> Reply | None:
        if claim.fingerprint == ERASED and claim.reply is not None:
            return claim.reply  # the command ran; its answer went with the erased data
        if claim.fingerprint not in prints:
            raise ProblemError(
                422,
                "idempotency-key-reused",
                "this Idempotency-Key (or command_id) was used for a different request; use a new key",
            )
        if claim.reply is not None:
            return claim.reply
        if time.monotonic() > deadline:
            raise _in_progress()
        return None

    def _take_if_stale(self, claim: Claim) -> Claim | None:
        if time.time() - claim.claimed_at < self.stale_seconds:
            return None
        return self.store.take_over(claim)

    def _execute(self, claim: Claim, execute: Callable[[], T], render: Callable[[T], Reply]) -> Reply:
        try:
            outcome = execute()
        except NOTHING_SAVED:
            self.store.release(claim)
            raise
        # Any other failure (a store outage) may have saved the events: the claim stays, and goes
        # stale, and a later retry answers from the recorded events instead of running again.
        reply = render(outcome)
        self.store.answer(claim, reply)
        return reply

    def _recover(
        self,
        claim: Claim,
        ctx: CommandContext,
        execute: Callable[[], T],
        render: Callable[[T], Reply],
        recovery: Recovery[T],
    ) -> Reply:
        if recovery.rerun_safe:
            return self._execute(claim, execute, render)
        if recovery.recall is None:  # it records outside the event store: what it did is not known
            raise _outcome_unknown()
        recorded = recorded_events(self.eenplan, ctx.actor, ctx.command_id, claim.position)
        if not recorded:  # saves are atomic: the dead process saved nothing, so run it now
            return self._execute(claim, execute, render)
        result = recovery.recall(recorded)
        if result is None:
            raise _outcome_unknown()
        reply = render(result)
        self.store.answer(claim, reply)
        return reply


def _in_progress() -> ProblemError:
    return ProblemError(
        409,
        "idempotency-in-progress",
        "a request with this Idempotency-Key is still in progress; retry later with the same key",
    )


def _outcome_unknown() -> ProblemError:
    return ProblemError(
        409,
        "idempotency-outcome-unknown",
        "this request may have been recorded but its answer was lost; read the resource to see the result",
    )


async def purge_periodically(store: KeyStore, every_seconds: float) -> None:
    """Delete expired keys now and then, for as long as the server runs."""
    while True:
        await asyncio.sleep(every_seconds)
        with contextlib.suppress(Exception):  # an outage now is retried next time
            purged = await run_in_threadpool(store.purge)
            log.info("idempotency_keys_purged", count=purged)
