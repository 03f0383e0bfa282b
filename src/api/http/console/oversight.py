"""Console parts 3 to 6: who looked at a file, break-the-glass review, erasure and retention, and
the policies over time. Each reads what the matching JSON route reads, for the roles it allows."""

from __future__ import annotations

import difflib
import json
import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from eenplan.api.http import replies
from eenplan.api.http.commanding import Command, ok
from eenplan.api.http.console.errors import shown
from eenplan.api.http.console.web import ConsoleError, Visit, VisitDep, see_other
from eenplan.api.http.deps import trace_id
from eenplan.api.http.problems import status_of
from eenplan.api.http.processing import LoggedRoute, activity
from eenplan.api.http.routes.emergency import EmergencyReviewRequest
from eenplan.api.http.schemas.privacy import EmergencyReviewed, SubjectExport
from eenplan.domain import errors
from eenplan.domain.context import CommandContext
from eenplan.privacy import erasure_jobs, ldv, retention, rights
from eenplan.privacy.emergency_queue import QueueFilter
from eenplan.privacy.processing import note_nothing, note_processing
from eenplan.privacy.write_policy import recorded_write_policies, write_policy_source

router = APIRouter(prefix="/console", route_class=LoggedRoute, include_in_schema=False)
IdQuery = Annotated[str | None, Query(max_length=100)]


def _officer_only(visit: Visit, what: str) -> None:
    if not visit.privacy_officer:
        raise ConsoleError(403, "forbidden", f"{what} is voor privacy officers.")


@router.get("/inzage", openapi_extra=activity("audit"))
def processing_log(visit: VisitDep, member_id: IdQuery = None, plan_id: IdQuery = None) -> Response:
    """Who looked at this file: a person's processing log (privacy officers), or a plan's (both)."""
    subject, entries = None, None
    with shown():
        if member_id:
            _officer_only(visit, "De verwerkingen van één persoon opvragen")
            subject = rights.export_subject(visit.container.privacy, visit.actor, member_id.strip())
            entries = subject["processing_log"]
        elif plan_id:
            plan = visit.container.eenplan.plans.plan(visit.actor, plan_id.strip())
            note_processing(visit.actor, str(plan.id), list(plan.members))
            entries = visit.container.privacy.log.for_plan(str(plan.id), 1000, 0)
        else:
            note_nothing()
    lines = [_line(entry) for entry in entries or []]
    return visit.page(
        "inzage.html", member_id=member_id or "", plan_id=plan_id or "", subject=subject, lines=lines
    )


def _line(entry: dict[str, Any]) -> dict[str, Any]:
    """One processing-log line (LDV, with the NEN 7513 attributes: privacy/ldv.py) as a table row."""
    attributes = entry.get("attributes", {})
    users = attributes.get("dpl.nen7513.users") or [{}]
    requestor = users[0]
    controls = attributes.get("dpl.nen7513.controles", [])
    response: dict[str, Any] = next((c for c in controls if c.get("controle") == "response"), {})
    return {
        "who": requestor.get("userID") or "(niet aangemeld)",
        # `alternateUserID` is `org/sub` (`cli/operator` for the CLI): the organisation comes first.
        "organisation": str(requestor.get("alternateUserID") or "—").split("/", 1)[0],
        "responsible": next((u.get("userID") for u in users if not u.get("userIsRequestor")), None),
        "when": entry.get("start_time", ""),
        "activity": attributes.get("dpl.core.processing_activity_id", ""),
        "operation": entry.get("name", ""),
        "outcome": "gelukt" if entry.get("status_code") == ldv.STATUS["OK"] else "geweigerd of mislukt",
        "detail": response.get("reason", ""),
    }


@router.get("/inzage/{member_id}/export", openapi_extra=activity("export"))
def download_export(member_id: str, visit: VisitDep) -> Response:
    """The art. 15 export, as `GET /subjects/{member_id}/export` gives it, as a file."""
    _officer_only(visit, "De inzage-export (art. 15)")
    with shown():
        export = SubjectExport.model_validate(
            rights.export_subject(visit.container.privacy, visit.actor, member_id)
        )
    body = json.dumps(export.model_dump(mode="json"), indent=2, ensure_ascii=False)
    disposition = f'attachment; filename="inzage-{uuid.uuid5(uuid.NAMESPACE_URL, member_id).hex[:12]}.json"'
    return Response(body, media_type="application/json", headers={"Content-Disposition": disposition})


Review = Literal["open", "overdue", "decided"]


@router.get("/noodtoegang", openapi_extra=activity("emergency_review"))
def emergency_queue(visit: VisitDep, toon: Review | None = "open", melding: IdQuery = None) -> Response:
    """Break-the-glass grants of the caller's tenants: open, overdue, or decided."""
    _officer_only(visit, "Noodtoegang beoordelen")
    return _queue_page(visit, toon or "open", notice=melding)


def _queue_page(visit: Visit, review: str, status: int = 200, **extra: Any) -> Response:
    queue = visit.container.privacy.review_queue
    grants = queue.grants(visit.actor.tenants, QueueFilter(review, limit=200), datetime.now(UTC))
    for listed in dict.fromkeys(g["plan_id"] for g in grants):  # reasons are the households' data
        note_processing(visit.actor, listed)
    if not grants:
        note_nothing()
    command_id = str(uuid.uuid4())  # one per page shown: a form sent twice is one review
    return visit.page(
        "noodtoegang.html", status, grants=grants, review=review, command_id=command_id, **extra
    )


@router.post("/noodtoegang/{grant_id}/beoordeling", openapi_extra=activity("emergency_review"))
async def review_grant(grant_id: str, visit: VisitDep) -> Response:
    """Approve or reject a grant with a reason, as `POST /privacy/emergency-access/{id}/review` does."""
    fields = await visit.form()
    _officer_only(visit, "Noodtoegang beoordelen")
    return await run_in_threadpool(_review, visit, grant_id, fields)  # the store is not async


def _review(visit: Visit, grant_id: str, fields: dict[str, str]) -> Response:
    try:
        body = ConsoleReview.model_validate(
            {
                "decision": fields.get("decision"),
                "reason": fields.get("reason", ""),
                "command_id": _command_id(fields),
            }
        )
    except ValidationError:
        note_nothing()
        return _queue_page(visit, "open", 422, error="Kies goedkeuren of afwijzen, met een reden.")
    ctx = CommandContext(visit.actor, body.command_id, trace_id(visit.request))
    emergency = visit.container.privacy.emergency
    try:
        Command(visit.request, visit.container, ctx).run(
            body,
            lambda c: EmergencyReviewed.model_validate(
                emergency.review(c.actor, grant_id, body.decision, body.reason, c.command_id, c.trace_id)
            ),
            ok,
            replies.RERUN,
        )
    except errors.DomainError as e:
        note_nothing()
        return _queue_page(visit, "open", status_of(e), error=str(e))
    note_nothing()  # the review noted its own processing
    word = "goedgekeurd" if body.decision == "approved" else "afgewezen"
    return see_other(f"/console/noodtoegang?toon=decided&melding={word}")


class ConsoleReview(EmergencyReviewRequest):
    """The review form: the API's body, and the command id the form was shown with, so a form sent
    twice (a double click, a reload) is one review, answered as the first was."""

    command_id: str


def _command_id(fields: dict[str, str]) -> str:
    sent = fields.get("command_id", "")
    try:
        return str(uuid.UUID(sent))
    except ValueError:
        return str(uuid.uuid4())


@router.get("/wissen")
def erasure_and_retention(visit: VisitDep) -> Response:
    """Erasure receipts of the caller's tenants, and closed plans whose retention term has passed."""
    _officer_only(visit, "Wissen en bewaartermijnen")
    privacy = visit.container.privacy
    receipts = [r for r in erasure_jobs.latest(privacy.store) if _in_tenants(visit, r["plan_id"])]
    overdue = retention.overdue(privacy, visit.actor.tenants, date.today())
    terms = privacy.config.retention_years
    return visit.page("wissen.html", receipts=receipts, overdue=overdue, terms=terms)


def _in_tenants(visit: Visit, plan_id: str) -> bool:
    try:
        visit.container.eenplan.plans.plan(visit.actor, plan_id)  # as GET /privacy/erasures/{id} checks
    except (errors.DomainError, ValueError):
        return False
    return True


@router.get("/beleid")
def policies(
    visit: VisitDep,
    soort: Literal["lezen", "schrijven"] = "lezen",
    van: Annotated[str | None, Query(max_length=64)] = None,
    naar: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The read and write policies in force over time, and what changed between two versions."""
    privacy = visit.container.privacy
    read, write = privacy.policies(), recorded_write_policies(privacy)
    versions = read if soort == "lezen" else write
    source = privacy.policy_source if soort == "lezen" else (lambda sha: write_policy_source(privacy, sha))
    diff = None
    if van and naar:
        old, new = source(van), source(naar)
        if old is None or new is None:
            raise ConsoleError(404, "not-found", "Een van deze beleidsversies is niet vastgelegd.")
        lines = old.splitlines(), new.splitlines()
        diff = list(difflib.unified_diff(*lines, van[:12], naar[:12], lineterm=""))
    return visit.page(
        "beleid.html",
        read=_in_force(read),
        write=_in_force(write),
        soort=soort,
        versions=versions,
        van=van or "",
        naar=naar or "",
        diff=diff,
    )


def _in_force(versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each version with the moment the next one took over (none: still in force)."""
    ends = [v["first_loaded_at"] for v in versions[1:]] + [None]
    return [{**v, "until": end} for v, end in zip(versions, ends, strict=True)]
