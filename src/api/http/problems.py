"""The one place where errors become RFC 9457 problem+json responses.

Domain errors map by family to a status; store outages become 503; malformed
JSON is 400 and schema violations 422. A stored record that fails its integrity
check is a 500 of its own type, `record-integrity`: not a bug but an alarm, the
data in the store was altered (auditors locate it with `GET /audit/verify`).
Anything else is a bug: a 500 that says nothing about the request's data,
logged with the trace id.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import anyio
import psycopg
import structlog
from eventsourcing.persistence import ConnectionUnavailableError, InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout
from starlette.exceptions import HTTPException

from eenplan.api.http.auth import AuthError
from eenplan.api.http.middleware import BodyTooLargeError
from eenplan.api.store.gate import StoreBusyError, StoreUnavailableError
from eenplan.domain import errors as d
from eenplan.privacy.outcome import Outcome
from eenplan.projections.db import ReadReplicaUnavailableError
from eenplan.projections.queries import InvalidCursorError
from eenplan.projections.status import ProjectionLagError

PROBLEM = "application/problem+json"
log = structlog.get_logger("eenplan.errors")

STATUS_BY_ERROR: list[tuple[type[Exception], int]] = [
    (d.RecordIntegrityError, 500),
    (d.NotFoundError, 404),
    (d.UnknownReferenceError, 422),
    (d.IncompleteCommandError, 422),
    (d.UnanswerableQueryError, 422),
    (d.AlreadyExistsError, 409),
    (d.RuleViolationError, 409),
    (d.NotAllowedError, 403),
    (d.VersionMismatchError, 412),
    (d.ConcurrencyError, 409),
]
STORE_OUTAGES = (
    OperationalError,
    InterfaceError,
    PoolTimeout,
    StoreUnavailableError,
    psycopg.OperationalError,
    sqlite3.OperationalError,
)
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class ProblemError(Exception):
    """A refusal raised by the API layer itself (idempotency, CloudEvents, partners), as problem+json."""

    def __init__(self, status: int, kind: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.kind, self.detail, self.extra = status, kind, detail, extra


def problem(
    status: int, detail: str, *, kind: str | None = None, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    slug = kind or _title_slug(status)
    body = {
        "type": f"https://eenplan.nl/problems/{slug}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _slug(error: Exception) -> str:
    name = type(error).__name__.removesuffix("Error")
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def status_of(error: d.DomainError) -> int:
    for family, status in STATUS_BY_ERROR:
        if isinstance(error, family):
            return status
    return 409


def describe(error: Exception) -> Outcome:
    """The status and problem type the handlers below answer this error with.

    The processing log records a refused or failed attempt with the reason the caller got, so
    the mapping stays in this one place.
    """
    if isinstance(error, BodyTooLargeError) or isinstance(error.__cause__, BodyTooLargeError):
        return Outcome(413, "body-too-large")
    if isinstance(error, d.RecordIntegrityError):
        return Outcome(500, "record-integrity")
    if isinstance(error, d.DomainError):
        return Outcome(status_of(error), _slug(error))
    if isinstance(error, AuthError):
        return Outcome(401, "unauthorized")
    if isinstance(error, ProblemError):
        return Outcome(error.status, error.kind)
    if isinstance(error, RequestValidationError):
        malformed = any(e.get("type") == "json_invalid" for e in error.errors())
        return Outcome(400, "malformed-request") if malformed else Outcome(422, "validation")
    if isinstance(error, InvalidCursorError):
        return Outcome(422, "validation")
    if isinstance(error, HTTPException):
        return Outcome(error.status_code, _title_slug(error.status_code))
    if isinstance(error, STORE_OUTAGES):
        return Outcome(503, "store-unavailable")
    if isinstance(error, ProjectionLagError):
        return Outcome(503, "projection-lagging")
    if isinstance(error, ReadReplicaUnavailableError):
        return Outcome(503, "read-replica-unavailable")
    return Outcome(500, "internal")


def _title_slug(status: int) -> str:
    return TITLES.get(status, "error").lower().replace(" ", "-")


def domain_problem(error: d.DomainError) -> JSONResponse:
    """The problem document of a domain error, with its facts (a batch's index, a refused rule)."""
    if isinstance(error, d.RecordIntegrityError):
        return _integrity_failure(error)
    # A command in a batch names its place, so the client knows which one failed.
    where: dict[str, Any] = {} if error.index is None else {"index": error.index}
    return problem(status_of(error), error.detail, kind=_slug(error), **error.fields(), **where)


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, d.DomainError)
    return domain_problem(error)


def _integrity_failure(error: d.RecordIntegrityError) -> JSONResponse:
    # Where, for the operator; the caller learns only that the record cannot be served as stored.
    log.error("record_integrity_failure", record_id=error.record_id, version=error.version, where=error.where)
    detail = (
        "a stored record failed its integrity check and is not shown; "
        "auditors locate it with GET /audit/verify"
    )
    return problem(500, detail, kind="record-integrity")


async def _problem_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ProblemError)
    return problem(error.status, error.detail, kind=error.kind, **error.extra)


async def _auth_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, AuthError)
    if error.claim is None:
        return problem(401, str(error), kind="unauthorized", headers={"WWW-Authenticate": "Bearer"})
    # A signed token whose claims the directory does not bear out: say which claim, as RFC 6750 does.
    challenge = (
        'Bearer error="invalid_token", error_description="the token\'s claims do not match the directory"'
    )
    return problem(
        401,
        str(error),
        kind="token-claims-unmatched",
        headers={"WWW-Authenticate": challenge},
        claim=error.claim,
    )


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    found = [_error_line(e) for e in error.errors()]
    if any(e["type"] == "json_invalid" for e in found):
        return problem(400, "the request body is not valid JSON", kind="malformed-request", errors=found)
    return problem(422, "the request does not match the schema", kind="validation", errors=found)


def _error_line(e: dict[str, Any]) -> dict[str, Any]:
    # Echo where and why, never the submitted value: it may be personal data.
    return {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""), "type": e.get("type", "")}


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    if isinstance(error.__cause__, BodyTooLargeError):
        # FastAPI turns any error while reading a streamed body into a 400; the limit is a 413.
        return await _too_large(request, error.__cause__)
    return problem(error.status_code, str(error.detail), headers=dict(error.headers or {}))


async def _store_outage(request: Request, error: Exception) -> JSONResponse:
    busy = _busy(error)
    log.warning("store_busy" if busy else "store_unavailable", error_type=type(error).__name__)
    gate = getattr(request.app.state, "store_gate", None)
    if gate is not None and not busy and not isinstance(error, StoreUnavailableError):
        # Later requests fail fast if the store does not answer a probe (api/store/gate.py); a
        # busy store (no connection or lock free in time) is not shut out: it is serving others.
        await anyio.to_thread.run_sync(gate.suspect)
    return problem(
        503,
        f"the event store is {'busy' if busy else 'unavailable'}; retry with the same Idempotency-Key",
        kind="store-unavailable",
        headers={"Retry-After": "1" if busy else "2"},
    )


def _busy(error: Exception) -> bool:
    """A wait that ran out (for a pooled connection, SQLite's write lock) while the store serves."""
    if isinstance(error, StoreBusyError | ConnectionUnavailableError):
        return True
    cause = error.__cause__ if isinstance(error, OperationalError) else error
    return isinstance(cause, sqlite3.OperationalError) and "locked" in str(cause)


async def _bad_cursor(request: Request, error: Exception) -> JSONResponse:
    line = {"loc": ["query", "cursor"], "msg": str(error), "type": "value_error"}
    return await _validation_error(request, RequestValidationError([line]))


async def _projection_lag(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ProjectionLagError)
    return problem(503, error.detail, kind="projection-lagging", headers={"Retry-After": "1"})


async def _replica_down(request: Request, error: Exception) -> JSONResponse:
    # Only the projection reads fail: the event store's breaker stays open for everything else.
    assert isinstance(error, ReadReplicaUnavailableError)
    log.warning("read_replica_unavailable", error_type=error.error_type)
    return problem(503, error.detail, kind="read-replica-unavailable", headers={"Retry-After": "2"})


async def _bug(request: Request, error: Exception) -> JSONResponse:
    log.exception("unhandled_error", error_type=type(error).__name__)
    return problem(500, "an internal error occurred; it has been logged", kind="internal")


async def _too_large(request: Request, error: Exception) -> JSONResponse:
    return problem(413, str(error), kind="body-too-large")


def install(app: FastAPI) -> None:
    app.add_exception_handler(BodyTooLargeError, _too_large)
    app.add_exception_handler(d.DomainError, _domain_error)
    app.add_exception_handler(AuthError, _auth_error)
    app.add_exception_handler(ProblemError, _problem_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    for outage in STORE_OUTAGES:
        app.add_exception_handler(outage, _store_outage)
    app.add_exception_handler(ProjectionLagError, _projection_lag)
    app.add_exception_handler(ReadReplicaUnavailableError, _replica_down)
    app.add_exception_handler(InvalidCursorError, _bad_cursor)
    app.add_exception_handler(Exception, _bug)
