"""`GET /changes`: Server-Sent Events, one per change to a plan the caller may see."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from eenplan.api.http.changefeed import ChangeFeed, stream
from eenplan.api.http.deps import CallerDep, ContainerDep, raise_validation
from eenplan.api.http.schemas.reads import MAX_INT64

router = APIRouter(tags=["changes"])


@router.get(
    "/changes",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "an endless event stream"}},
)
def changes(
    caller: CallerDep,
    container: ContainerDep,
    request: Request,
    after: Annotated[
        int, Query(ge=0, le=MAX_INT64, description="the last position seen; 0 from the start")
    ] = 0,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """Each event: `id` = position, `event: plan.changed`, data `{plan_id, version, type, position}`.

    Resume with `Last-Event-ID` (it wins over `after`). Comment lines are heartbeats.
    Read the plan again for what changed: the feed carries no personal data.
    When the token expires the stream ends with `event: stream.closed`; reconnect with a new token.
    """
    if last_event_id is not None:
        position = last_event_id.strip()
        # ASCII digits within 64 bits: int() of "²" or of thousands of digits would raise (a 500).
        if not (
            position.isascii() and position.isdigit() and len(position) <= 19 and int(position) <= MAX_INT64
        ):
            raise_validation("Last-Event-ID", "use the id of the last event received (a position)")
        after = int(position)
    settings = container.settings
    events = stream(
        ChangeFeed(container.reader, container.claims),
        caller,
        after,
        settings.changes_poll_seconds,
        settings.changes_heartbeat_seconds,
        until=request.state.token_expires_at,
    )
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
