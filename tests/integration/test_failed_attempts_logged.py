"""A failed (5xx) attempt on a plan is logged with ERROR status, on both stores.

The API has no route that fails on purpose, so these tests mount two on the logging route class
beside the real error map and container: one fails before it read anything, one after it noted
what it read. An id that names no plan gives no line: there is no data subject to log.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from eenplan.api.bootstrap import Container
from eenplan.api.http import problems
from eenplan.api.http.middleware import RequestContext
from eenplan.api.http.processing import LoggedRoute, activity
from eenplan.privacy.processing import note_processing
from tests.factories import World, ctx_for
from tests.ldv import control

SECRET = "Jansen woont op de Lange Delft"


def _app(container: Container) -> FastAPI:
    router = APIRouter(route_class=LoggedRoute)

    @router.get("/plans/{plan_id}/broken", openapi_extra=activity("plan_coordination"))
    def broken(plan_id: str) -> None:
        raise RuntimeError(SECRET)

    @router.get("/plans/{plan_id}/half", openapi_extra=activity("plan_coordination"))
    def half(plan_id: str) -> None:
        note_processing(ctx_for("pro-x", "org-x").actor, plan_id)
        raise RuntimeError(SECRET)

    app = FastAPI()
    app.state.container = container
    problems.install(app)
    app.add_middleware(RequestContext, max_body_bytes=10_000)
    app.include_router(router)
    return app


@pytest.fixture
def http(container: Container) -> Iterator[TestClient]:
    with TestClient(_app(container), raise_server_exceptions=False) as client:
        yield client


def test_a_request_that_fails_logs_each_member_with_error_status_and_no_detail(
    container: Container, world: World, http: TestClient
) -> None:
    opened = world.open(world.pros[world.orgs["welfare"]][0])
    for path in ("broken", "half"):
        assert http.get(f"/plans/{opened.plan_id}/{path}").status_code == 500

    lines = container.privacy.log.for_plan(opened.plan_id)
    assert sorted(line["name"] for line in lines) == ["broken", "half"]
    for line in lines:
        assert line["status_code"] == "STATUS_CODE_ERROR"
        assert control(line) == {
            "controle": "response",
            "result": "failed",
            "status": 500,
            "reason": "internal",
        }
    assert SECRET not in str(lines)
    (half,) = [line for line in lines if line["name"] == "half"]
    assert half["attributes"]["dpl.nen7513.users"][0]["userID"] == "pro-x", "the note's actor is kept"


def test_an_id_that_names_no_plan_writes_no_line(container: Container, http: TestClient) -> None:
    before = container.privacy.store.query("SELECT COUNT(*) AS n FROM processing_log", ())[0]["n"]
    for plan_id in (str(uuid.uuid4()), "not-a-uuid"):
        assert http.get(f"/plans/{plan_id}/broken").status_code == 500
    after = container.privacy.store.query("SELECT COUNT(*) AS n FROM processing_log", ())[0]["n"]
    assert after == before
