"""The OpenAPI document tells the truth: a valid document, every error as problem+json, recorded
answers of a live server (success and error, several routes) valid against it, every route documented."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_spec_validator import validate
from werkzeug.datastructures import Headers, ImmutableMultiDict

from eenplan.api.http import routes
from tests.e2e.conftest import Server, TokenFactory
from tests.e2e.directory_setup import Tenant, setup_tenant
from tests.factories import uid

ROOT = Path(__file__).resolve().parents[2]
PROBLEM = "application/problem+json"
ERRORS = {"400", "401", "403", "404", "406", "409", "412", "413", "415", "422", "503"}


@pytest.fixture(scope="module")
def document(shared_server: Server) -> dict[str, Any]:
    found: dict[str, Any] = httpx.get(f"{shared_server.url}/openapi.json", timeout=30).json()
    return found


def test_the_live_document_is_a_valid_openapi_document(document: dict[str, Any]) -> None:
    validate(document)  # raises with the first breach


def test_every_error_answer_is_documented_as_problem_json_and_none_as_fastapi_validation_errors(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert set(schemas["Problem"]["required"]) == {"type", "title", "status", "detail"}
    assert schemas["Problem"]["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/ProblemLine"}
    seen: set[str] = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                assert "traceparent" in response.get("headers", {}), (method, path, status)
                if status in ERRORS:
                    seen.add(status)
                    problem = response["content"][PROBLEM]["schema"]
                    assert problem == {"$ref": "#/components/schemas/Problem"}, (method, path, status)
            assert "503" in operation["responses"] or path in ("/health", "/metrics"), (method, path)
    assert seen == ERRORS
    command = document["paths"]["/plans/{plan_id}/commands"]["post"]["responses"]
    assert {"412", "409", "415", "401"} <= set(command)
    assert "ETag" in command["200"]["headers"]
    assert "Location" in document["paths"]["/plans"]["post"]["responses"]["201"]["headers"]
    assert "Retry-After" in command["503"]["headers"]


def test_rules_the_server_enforces_are_in_the_schemas(document: dict[str, Any]) -> None:
    key = next(p for p in document["paths"]["/plans"]["post"]["parameters"] if p["name"] == "Idempotency-Key")
    pattern = re.compile(key["schema"]["pattern"])
    for good in ("8e03978e-40d5", '"8e03978e-40d5"', '"k-1";a=1'):
        assert pattern.match(good), good
    for bad in ("", "a b", '"unclosed', "x" * 101, '"a\\"b"'):
        assert not pattern.match(bad), bad
    schemas = document["components"]["schemas"]
    postal = re.compile(schemas["Address"]["properties"]["postal_code"]["pattern"])
    assert postal.match("1234 AB") and postal.match("1234ab")
    assert not postal.match("0123 AB") and not postal.match("1234 SS")
    refer = schemas["Refer"]
    assert [b["required"] for b in refer["oneOf"]] == [["activity_id"], ["organisation_id"]]
    event = schemas["CloudEvent"]
    assert set(event["required"]) >= {"specversion", "id", "source", "type", "subject"}
    assert "nl.eenplan.member.added" in event["properties"]["type"]["enum"]
    assert schemas["CloudEventBatch"]["maxItems"] == 100
    links = document["paths"]["/plans"]["post"]["responses"]["201"]["links"]
    assert links["read_plan_plans__plan_id__get"]["parameters"] == {"plan_id": "$response.body#/plan_id"}
    caseload = document["paths"]["/caseload"]["get"]["description"]
    assert "at most one of `professional_id`, `team_id` and `organisation_id`" in caseload


def _routes_in_the_code() -> set[str]:
    """Every route of every router module, as `METHOD /path` (HEAD and OPTIONS are the server's own)."""
    found = set()
    package = Path(routes.__file__).parent
    for info in pkgutil.iter_modules([str(package)]):
        module = importlib.import_module(f"{routes.__name__}.{info.name}")
        for route in getattr(module, "router").routes:  # noqa: B009 - every route module has one
            if isinstance(route, APIRoute) and not route.path.startswith("/docs"):
                found |= {f"{m} {route.path}" for m in route.methods if m not in ("HEAD", "OPTIONS")}
    return found


def test_every_route_is_in_the_document_and_in_the_docs(document: dict[str, Any]) -> None:
    reference = (ROOT / "docs" / "api-reference.md").read_text()
    documented = {
        f"{method.upper()} {path}" for path, operations in document["paths"].items() for method in operations
    }
    in_code = _routes_in_the_code()
    assert len(in_code) > 40
    assert in_code - documented == set()  # only Swagger UI's own pages (/docs) are left out
    for route in (
        "GET /monitoring",
        "GET /privacy/emergency-access",
        "GET /privacy/activities",
        "GET /help-requests/waiting-times",
        "GET /help-requests/{request_id}",
        "GET /metrics",
    ):
        assert route in documented, route
    missing = sorted(r for r in documented if f"`{r}`" not in reference)
    assert not missing, f"docs/api-reference.md does not describe: {missing}"
    assert "record_first_contact" in reference


# --- recorded answers, checked with openapi-core --------------------------------------------


@dataclass
class Recorded:
    """An httpx exchange in the shape openapi-core reads."""

    host_url: str
    path: str
    method: str
    body: bytes | None
    content_type: str
    parameters: RequestParameters = field(default_factory=RequestParameters)


@dataclass
class Answer:
    status_code: int
    content_type: str
    headers: Headers
    data: bytes


def _recorded(request: httpx.Request) -> Recorded:
    headers = Headers(list(request.headers.items()))
    return Recorded(
        host_url=f"{request.url.scheme}://{request.url.netloc.decode()}",
        path=request.url.path,
        method=request.method.lower(),
        body=request.content or None,
        content_type=request.headers.get("content-type", ""),
        parameters=RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())), header=headers
        ),
    )


def _spec(document: dict[str, Any]) -> OpenAPI:
    """openapi-core reads application/json itself; the +json types of this API are JSON too."""
    json_types = (
        PROBLEM,
        "application/fhir+json",
        "application/cloudevents+json",
        "application/cloudevents-batch+json",
    )
    readers: dict[str, Any] = {
        **dict.fromkeys(json_types, _json),
        **dict.fromkeys(("text/plain", "application/openmetrics-text"), _text),
    }
    return OpenAPI.from_dict(document, config=Config(extra_media_type_deserializers=readers))


def _check(spec: OpenAPI, response: httpx.Response) -> None:
    answer = Answer(
        response.status_code,
        response.headers.get("content-type", ""),
        Headers(list(response.headers.items())),
        response.content,
    )
    spec.validate_response(_recorded(response.request), answer)


def test_recorded_answers_of_several_routes_match_the_document(
    document: dict[str, Any], shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    spec = _spec(document)
    tenant: Tenant = setup_tenant(shared_client, shared_token)
    regisseur = tenant.pro("welfare")
    me = tenant.headers(regisseur)
    c = shared_client
    opened = c.post(
        "/plans",
        json={
            "tenant": tenant.code,
            "team_id": tenant.team_id,
            "legal_basis": "wmo2015",
            "household": _household(),
            "reason": "zorgen",
        },
        headers={**me, "Idempotency-Key": f'"{uid("k")}"'},
    )
    plan_id = opened.json()["plan_id"]
    note = {"type": "add_note", "text": "gesprek gehad", "category": "general"}
    answers = [
        (opened, 201),
        (c.get(f"/plans/{plan_id}", headers=me), 200),
        (c.get(f"/plans/{plan_id}", headers={**me, "If-None-Match": opened.headers["etag"]}), 304),
        (c.post(f"/plans/{plan_id}/commands", json=note, headers=me), 200),
        (c.post(f"/plans/{plan_id}/commands", json=note, headers={**me, "If-Match": '"0"'}), 412),
        (c.post(f"/plans/{plan_id}/commands", json={"type": "no_such"}, headers=me), 422),
        (
            c.post(
                f"/plans/{plan_id}/commands", content=b"{", headers={**me, "Content-Type": "application/json"}
            ),
            400,
        ),
        (
            c.post(
                f"/plans/{plan_id}/commands", content=b"a=b", headers={**me, "Content-Type": "text/plain"}
            ),
            415,
        ),
        (c.get(f"/plans/{plan_id}", headers={**me, "Accept": "application/xml"}), 406),
        (c.get("/plans/00000000-0000-0000-0000-000000000000", headers=me), 404),
        (c.get("/plans"), 401),
        (c.get(f"/plans/{plan_id}/fhir", headers=me), 200),
        (c.get(f"/plans/{plan_id}/history", headers=me), 200),
        (c.get("/help-requests/waiting-times", params={"tenant": tenant.code}, headers=me), 200),
        (c.get("/privacy/activities", headers=me), 200),
        (c.get("/privacy/emergency-access", headers=me), 403),
        (
            c.post(
                "/events", content=b"[]", headers={**me, "Content-Type": "application/cloudevents-batch+json"}
            ),
            200,
        ),
        (c.get("/caseload", params={"team_id": tenant.team_id, "organisation_id": "x"}, headers=me), 422),
        (c.get("/health"), 200),
        (c.get("/metrics", headers={"Accept": "application/openmetrics-text"}), 200),
    ]
    for response, status in answers:
        assert response.status_code == status, (response.request.url, response.text)
        _check(spec, response)
    # Not vacuous: an answer that breaks the document is caught.
    broken = httpx.Response(200, json={"plan_id": 1}, request=answers[1][0].request)
    with pytest.raises(Exception, match=r"(?i)invalid|validat"):
        _check(spec, broken)
    assert json.loads(answers[4][0].content)["type"].endswith("/version-mismatch")


def _json(data: bytes, **parameters: str) -> Any:
    return json.loads(data)


def _text(data: bytes, **parameters: str) -> str:
    return data.decode()


def _household() -> dict[str, Any]:
    from tests.factories import household

    return household()


def test_a_cloudevent_is_checked_against_its_types_data_and_one_the_server_runs_validates(
    document: dict[str, Any], shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    spec = _spec(document)
    tenant: Tenant = setup_tenant(shared_client, shared_token)
    regisseur = tenant.pro("welfare")
    me = {**tenant.headers(regisseur), "Content-Type": "application/cloudevents+json"}
    plan_id = tenant.open_plan(regisseur)["plan_id"]
    event = {
        "specversion": "1.0",
        "id": uid("e"),
        "source": "urn:test",
        "type": "nl.eenplan.note.added",
        "subject": plan_id,
        "data": {"category": "general", "text": "gesprek gehad"},
    }
    sent = shared_client.post("/events", content=json.dumps(event).encode(), headers=me)
    assert sent.status_code == 200, sent.text
    spec.validate_request(_recorded(sent.request))
    _check(spec, sent)
    # The same event without the fields its command needs breaks the schema, as the server says.
    bare = {**event, "id": uid("e"), "data": {}}
    refused = shared_client.post("/events", content=json.dumps(bare).encode(), headers=me)
    assert refused.status_code == 422
    with pytest.raises(Exception, match=r"(?i)invalid|validat"):
        spec.validate_request(_recorded(refused.request))
    _check(spec, refused)
