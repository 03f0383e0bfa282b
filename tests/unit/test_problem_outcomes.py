"""The processing log's reason for a refusal is the problem the caller got, status and type alike."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.testclient import TestClient
from psycopg_pool import PoolTimeout
from starlette.exceptions import HTTPException

from eenplan.api.http import problems
from eenplan.api.http.auth import AuthError
from eenplan.api.store.gate import StoreUnavailableError
from eenplan.domain import errors as d
from eenplan.privacy.outcome import Outcome
from eenplan.projections.queries import InvalidCursorError
from eenplan.projections.status import ProjectionLagError

ERRORS: list[Exception] = [
    d.PlanNotFoundError("p1"),
    d.NotAllowedError("no"),
    d.VersionMismatchError(1, 2),
    d.MemberError("member m1 is not in the household"),
    d.UnknownReferenceError("unknown team t"),
    d.ConcurrencyError("busy"),
    AuthError("bad token"),
    problems.ProblemError(422, "idempotency-key-reused", "another body"),
    RequestValidationError([{"loc": ["body", "x"], "msg": "missing", "type": "missing"}]),
    RequestValidationError([{"loc": ["body"], "msg": "bad json", "type": "json_invalid"}]),
    InvalidCursorError("not ours"),
    HTTPException(405),
    StoreUnavailableError("down"),
    PoolTimeout("no connection"),
    ProjectionLagError("plans", 1, 2),
    RuntimeError("a bug"),
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_the_outcome_of_an_error_is_the_status_and_type_of_its_problem(error: Exception) -> None:
    app = FastAPI()
    problems.install(app)

    @app.get("/fail")
    def fail() -> None:
        raise error

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/fail")
    slug = answer.json()["type"].rsplit("/", 1)[-1]
    assert problems.describe(error) == Outcome(answer.status_code, slug)


def test_a_refusal_and_a_failure_read_as_the_standards_ask() -> None:
    """LDV knows success or failure only; NEN 7513's minor and serious failure stay apart in `result`."""
    refused, failed = Outcome(404, "plan-not-found"), Outcome(503, "store-unavailable")
    assert (Outcome().ldv_status, refused.ldv_status, failed.ldv_status) == (
        "STATUS_CODE_OK",
        "STATUS_CODE_ERROR",
        "STATUS_CODE_ERROR",
    )
    assert (Outcome().event_outcome, refused.event_outcome, failed.event_outcome) == ("0", "4", "8")
    assert (Outcome().result, refused.result, failed.result) == ("ok", "refused", "failed")
