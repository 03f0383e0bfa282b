"""The change feed: plan changes from the notification log, only those the caller may see.

Each change says which plan, which version, which event type and at which
position; never what changed, so it carries no personal data: the client reads
the plan again through the filtered read path. Visibility is the read path's:
`PlanReader.relation` (tenant + working relation, or oversight roles).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
from starlette.concurrency import run_in_threadpool

from eenplan.api.http.auth import AuthError
from eenplan.api.http.claims import ClaimsCheck
from eenplan.domain import topics
from eenplan.domain.context import Actor
from eenplan.domain.plan.events import PLAN_EVENTS
from eenplan.privacy.reader import PlanReader

PAGE = 200
PLAN_TOPICS = topics.stored_topics(*PLAN_EVENTS)


class ChangeFeed:
    def __init__(self, reader: PlanReader, claims: ClaimsCheck | None = None) -> None:
        self.reader = reader
        self.recorder = reader.eenplan.recorder
        self.claims = claims

    def still_matches(self, actor: Actor) -> bool:
        """Whether the directory still bears out the caller's token (they may have left meanwhile)."""
        if self.claims is None:
            return True
        try:
            self.claims.check(actor)
        except AuthError:
            return False
        return True

    def page(self, actor: Actor, after: int) -> tuple[list[dict[str, Any]], int, bool]:
        """Changes after `after` the caller may see; the last position read; whether more wait."""
        notifications = self.recorder.select_notifications(
            start=after, limit=PAGE, topics=PLAN_TOPICS, inclusive_of_start=False
        )
        visible: dict[str, bool] = {}
        changes = []
        for n in notifications:
            plan_id = str(n.originator_id)
            if plan_id not in visible:
                visible[plan_id] = self._may_see(actor, plan_id)
            if visible[plan_id]:
                changes.append(_change(n))
        last = notifications[-1].id if notifications else after
        return changes, last, len(notifications) == PAGE

    def _may_see(self, actor: Actor, plan_id: str) -> bool:
        return self.reader.may_see(actor, plan_id)


def _change(notification: Any) -> dict[str, Any]:
    return {
        "plan_id": str(notification.originator_id),
        "version": notification.originator_version,
        "type": topics.resolve(notification.topic).__name__,
        "position": notification.id,
    }


def sse(change: dict[str, Any]) -> str:
    return f"id: {change['position']}\nevent: plan.changed\ndata: {json.dumps(change)}\n\n"


STREAM_CLOSED = 'event: stream.closed\ndata: {"reason": "token_expired"}\n\n'
NO_LONGER_MATCHES = 'event: stream.closed\ndata: {"reason": "token_no_longer_matches_directory"}\n\n'


async def stream(
    feed: ChangeFeed,
    actor: Actor,
    after: int,
    poll_seconds: float,
    heartbeat_seconds: float,
    until: float = math.inf,
) -> AsyncIterator[str]:
    """Server-Sent Events from `after` on; a comment line as heartbeat when idle.

    The stream ends when the caller's token does (`until`, epoch seconds), with a
    `stream.closed` event: what the caller may see is decided by a valid token, so the
    client reconnects with a fresh one and `Last-Event-ID`, and misses nothing. It also
    ends when the directory no longer bears out the token (the caller left or moved).
    """
    yield "retry: 2000\n\n"
    idle = 0.0
    while True:
        if time.time() >= until:
            yield STREAM_CLOSED
            return
        if not await run_in_threadpool(feed.still_matches, actor):
            yield NO_LONGER_MATCHES
            return
        changes, after, more = await run_in_threadpool(feed.page, actor, after)
        for change in changes:
            yield sse(change)
        idle = 0.0 if changes else idle + (0 if more else poll_seconds)
        if idle >= heartbeat_seconds:
            yield ": heartbeat\n\n"
            idle = 0.0
        if not more:
            await anyio.sleep(max(0.0, min(poll_seconds, until - time.time())))
