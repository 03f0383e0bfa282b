"""Traces and metrics: one trace per request joins the HTTP span, the command span and the SQL.

The app runs in process (TestClient) on the real store; spans are collected by an in-memory
exporter added to the process's tracer provider.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from eenplan.api.bootstrap import build
from eenplan.api.http.app import create_app
from eenplan.api.http.auth import mint_dev_token
from eenplan.api.settings import Settings
from eenplan.api.telemetry.instrumented import InstrumentedEenplan
from eenplan.domain.app import Eenplan
from tests.conftest import STORE
from tests.factories import World, make_world

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
EXPORTER = InMemorySpanExporter()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider), "api.telemetry.providers.setup installs the SDK provider"
    if not getattr(provider, "_eenplan_test_exporter", False):
        provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
        provider._eenplan_test_exporter = True  # type: ignore[attr-defined]
    EXPORTER.clear()
    yield EXPORTER
    EXPORTER.clear()


@pytest.fixture
def app_world(
    settings: Settings, request: pytest.FixtureRequest
) -> Iterator[tuple[TestClient, World, Settings]]:
    """The app in process; `indirect` parametrisation turns SQL spans on (off by default)."""
    settings = settings.model_copy(update={"telemetry_sql_spans": getattr(request, "param", False)})
    container = build(settings)
    world = make_world(container.eenplan)
    with TestClient(create_app(container)) as http:
        yield http, world, settings


def _bearer(settings: Settings, world: World, pro: str) -> dict[str, str]:
    org = next(o for o, ps in world.pros.items() if pro in ps)
    token = mint_dev_token(settings, sub=pro, org=org, tenants=[world.tenant], roles=["professional"])
    return {"Authorization": f"Bearer {token}"}


def _by_trace(spans: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in spans.get_finished_spans() if s.context and f"{s.context.trace_id:032x}" == TRACE_ID]


@pytest.mark.parametrize("app_world", [False, True], ids=["sql-spans-off", "sql-spans-on"], indirect=True)
def test_a_command_request_is_one_trace_of_http_command_and_store_spans(
    app_world: tuple[TestClient, World, Settings], spans: InMemorySpanExporter
) -> None:
    http, world, settings = app_world
    pro = world.pros[world.orgs["welfare"]][0]
    plan_id = world.open(pro).plan_id
    spans.clear()
    response = http.post(
        f"/plans/{plan_id}/commands",
        json={"type": "add_note", "category": "general", "text": "Belafspraak gemaakt"},
        headers={**_bearer(settings, world, pro), "traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"},
    )
    assert response.status_code == 200, response.text
    ours = _by_trace(spans)
    names = [s.name for s in ours]
    assert "POST /plans/{plan_id}/commands" in names
    assert "command add_note" in names
    server = next(s for s in ours if s.name == "POST /plans/{plan_id}/commands")
    assert response.headers["traceparent"] == f"00-{TRACE_ID}-{server.context.span_id:016x}-01"
    command_span = next(s for s in ours if s.name == "command add_note")
    assert command_span.parent is not None and command_span.parent.span_id == server.context.span_id
    sql = [s for s in ours if s.attributes and s.attributes.get("db.system") == "postgresql"]
    # SQL spans only when asked for (they cost CPU on every command); SQLite has no instrumentation.
    assert bool(sql) == (STORE == "postgres" and settings.telemetry_sql_spans), names


def test_metrics_show_commands_by_type_and_outcome_and_their_latency(
    app_world: tuple[TestClient, World, Settings],
) -> None:
    http, world, settings = app_world
    pro = world.pros[world.orgs["welfare"]][0]
    plan_id = world.open(pro).plan_id
    headers = _bearer(settings, world, pro)
    note = {"type": "add_note", "category": "general", "text": "x"}
    assert http.post(f"/plans/{plan_id}/commands", json=note, headers=headers).status_code == 200
    stale = {**headers, "If-Match": '"1"'}
    assert http.post(f"/plans/{plan_id}/commands", json=note, headers=stale).status_code == 412

    assert http.get(f"/plans/{plan_id}", headers=headers).status_code == 200  # a logged read

    text = http.get("/metrics").text
    assert re.search(r"eenplan_processing_log_writes_total\{[^}]*activity=", text)
    assert re.search(r'eenplan_commands_total\{[^}]*outcome="ok"[^}]*type="add_note"', text), text[:3000]
    assert re.search(r'eenplan_commands_total\{[^}]*outcome="versionmismatch"[^}]*type="add_note"', text)
    assert re.search(r'eenplan_command_duration_seconds_bucket\{[^}]*type="add_note"', text)
    assert "Testpersoon" not in text


def test_a_conflicting_writer_is_counted_as_a_conflict_and_a_retry(
    app_world: tuple[TestClient, World, Settings], spans: InMemorySpanExporter
) -> None:
    http, world, settings = app_world
    app = world.app
    assert isinstance(app, InstrumentedEenplan)
    pro = world.pros[world.orgs["welfare"]][0]
    plan_id = world.open(pro).plan_id
    other = Eenplan(env=settings.store_env())  # another writer: a second process, in effect
    decide, interfered = app.plans._decide, []

    def interfere_once(plan, ctx, cmd):  # type: ignore[no-untyped-def]
        # The other writer stores the plan between this command's load and its save.
        if not interfered:
            interfered.append(True)
            theirs = other.repository.get(plan.id)
            theirs.add_note(ctx, "general", "tussendoor")
            other.save(theirs)
        return decide(plan, ctx, cmd)

    world.run(pro, plan_id, **_goal())
    app.plans._decide = interfere_once  # type: ignore[method-assign]
    before = _sample(http.get("/metrics").text, "eenplan_command_retries_total", "record_progress")
    world.run(pro, plan_id, type="record_progress", goal_id="g1", score=3, note="ok")
    after = _sample(http.get("/metrics").text, "eenplan_command_retries_total", "record_progress")
    assert after - before == 1
    assert app.plans.plan(world.ctx(pro).actor, plan_id).version >= 4
    other.close()


def _goal() -> dict[str, object]:
    return {"type": "set_goal", "goal_id": "g1", "life_domain": "finances", "description": "Schulden"}


def _sample(text: str, name: str, kind: str) -> float:
    for line in text.splitlines():
        if line.startswith(name) and f'type="{kind}"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_the_instrumented_application_keeps_the_tables_of_eenplan(settings: Settings) -> None:
    app = build(settings).eenplan
    assert app.name == "eenplan"
    assert type(app).__name__ == "InstrumentedEenplan"
    app.close()
