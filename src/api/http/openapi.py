"""The OpenAPI document as the server answers: every error as problem+json, headers, enforced rules.

FastAPI writes the routes' parameters, bodies and success models, and documents a 422 of its own
`HTTPValidationError` shape, which the server never sends. `describe(app)` post-processes the
generated document once, in this one place, so that a generated client can read every answer:

- each operation lists the error statuses it can answer, from what the operation is (secured, has
  a body, takes `If-Match`, changes something), as `application/problem+json` with the `Problem`
  schema of `api/http/problems.py` (its `errors` lines included);
- response headers: `traceparent` and `X-Request-ID` on every answer (`api/http/middleware.py`),
  `ETag` where a plan's version is answered, `Location` on a 201, `Retry-After` on a 503,
  `WWW-Authenticate` on a 401;
- rules the server enforces that JSON Schema can state: the `Idempotency-Key` syntax
  (`api/http/deps.py`) and the CloudEvents body of `POST /events` (`api/http/formats/cloudevents.py`).
  Rules of the request models (postal codes, "exactly one of") are stated on the models themselves.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from eenplan.api.http.formats import cloudevents, cloudevents_binary
from eenplan.api.http.problems import PROBLEM, TITLES

REF = "#/components/schemas/"
HEADERS = "#/components/headers/"
# The bare key, or an RFC 8941 String holding it, optionally with parameters (read and not used).
_KEY = r"[A-Za-z0-9._:-]{1,100}"
_PARAMETERS = r"""(;[ ]*[a-z*][a-z0-9_.*-]*(=[^;,]*)?)*"""
IDEMPOTENCY_KEY_PATTERN = rf'^({_KEY}|"{_KEY}"{_PARAMETERS})$'
# `*` or a list of entity-tags (api/http/conditions.py); Last-Event-ID: a position (routes/changes.py).
_TAG = r'(W/)?"[\x21\x23-\x7e]*"'
ENTITY_TAGS_PATTERN = rf"^[ \t]*(\*|{_TAG}([ \t]*,[ \t]*{_TAG})*)[ \t]*$"
HEADER_PATTERNS = {
    "Idempotency-Key": IDEMPOTENCY_KEY_PATTERN,
    "If-Match": ENTITY_TAGS_PATTERN,
    "If-None-Match": ENTITY_TAGS_PATTERN,
    "Last-Event-ID": r"^[ \t]*[0-9]{1,18}[ \t]*$",
}

WHY = {
    400: "the body is not well-formed JSON",
    401: "no token, or one that is not valid or whose claims the directory does not bear out",
    403: "the caller's role or organisation may not do this",
    404: "the resource, or one it names, is not there or not visible to the caller",
    406: "none of the media types in `Accept` can be served here",
    409: "a rule of the domain refuses it, or a request with this Idempotency-Key is still running",
    412: "the plan is not at a version `If-Match` names",
    413: "the body is larger than the server takes (EENPLAN_MAX_BODY_BYTES)",
    415: "the `Content-Type` is not one this operation reads",
    422: "a parameter or the body breaks the schema or a rule; `errors` says where",
    503: "the event store does not answer, or the views lag behind `min_position`; retry after `Retry-After`",
}
# Served without the store (api/http/storegate.py): no 503 from the gate.
STORELESS = ("/health", "/metrics")
# Operations whose answer carries the plan's version as `ETag`.
ETAG_OPERATIONS = {
    ("post", "/plans"),
    ("post", "/plans/{plan_id}/commands"),
    ("post", "/plans/{plan_id}/commands:batch"),
    ("get", "/plans/{plan_id}"),
    ("get", "/plans/{plan_id}/fhir"),
    ("post", "/events"),
}


def problem_schemas() -> dict[str, Any]:
    """`Problem` (RFC 9457) and its `errors` line, as `api/http/problems.py` writes them."""
    return {
        "ProblemLine": {
            "type": "object",
            "description": "where and why, never the value that was sent",
            "required": ["loc", "msg", "type"],
            "properties": {
                "loc": {"type": "array", "items": {"type": "string"}, "description": "e.g. body, tenant"},
                "msg": {"type": "string"},
                "type": {"type": "string"},
            },
        },
        "Problem": {
            "type": "object",
            "description": "RFC 9457 problem details; further members carry facts of the refusal "
            "(`index`: a batch's failing command, `claim`: the token claim that did not match).",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {
                    "type": "string",
                    "format": "uri",
                    "examples": ["https://eenplan.nl/problems/validation"],
                },
                "title": {"type": "string"},
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "detail": {"type": "string"},
                "errors": {"type": "array", "items": {"$ref": f"{REF}ProblemLine"}},
                "index": {"type": "integer", "minimum": 0},
            },
            "additionalProperties": True,
        },
    }


def header_components() -> dict[str, Any]:
    text = {"type": "string"}
    return {
        "traceparent": {
            "description": "W3C Trace Context of this request's server span; quote it in a report",
            "schema": {"type": "string", "pattern": "^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"},
        },
        "X-Request-ID": {"description": "the caller's request id, or one made up", "schema": text},
        "ETag": {
            "description": 'the plan\'s version as a strong entity-tag, e.g. "7"; send it in If-Match',
            "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
        },
        "Location": {"description": "where the new resource is read", "schema": text},
        "Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "string"}},
        "WWW-Authenticate": {"description": "the Bearer challenge (RFC 6750)", "schema": text},
    }


def event_schemas() -> dict[str, Any]:
    """The CloudEvents `POST /events` reads, in structured and batched mode, and its batch answer."""
    attribute = {
        "type": "string",
        "minLength": 1,
        "maxLength": cloudevents.MAX_ATTRIBUTE_LENGTH,
        "pattern": r"^[^\x00-\x1f\x7f]+$",
    }
    return {
        "CloudEvent": {
            "type": "object",
            "description": "CloudEvents 1.0, structured mode. `subject` is the plan id, `data` the command's "
            "fields, `source` + `id` the idempotency key, `actingfor` the professional a partner acts for.",
            "required": list(cloudevents.REQUIRED),
            "properties": {
                "specversion": {"type": "string", "const": "1.0"},
                "id": attribute,
                "source": attribute,
                "type": {"type": "string", "enum": sorted(cloudevents.TYPE_TO_COMMAND)},
                "subject": attribute,
                "actingfor": attribute,
                "time": {"type": "string"},
                "datacontenttype": {"type": "string"},
                "data": {"type": "object", "description": "the fields of the command the type maps to"},
            },
            "not": {"required": ["data_base64"]},
            "additionalProperties": True,
        },
        "CloudEventBatch": {
            "type": "array",
            "maxItems": cloudevents.MAX_EVENTS,
            "items": {"$ref": f"{REF}CloudEvent"},
        },
        "EventResults": {
            "type": "object",
            "description": "a batch's answer: one result per event, in order",
            "required": ["results"],
            "properties": {
                "results": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["source", "id", "status", "body"],
                        "properties": {
                            "source": {"type": "string"},
                            "id": {"type": "string"},
                            "status": {"type": "integer"},
                            "body": {"type": "object", "description": "a CommandResult, or a Problem"},
                        },
                    },
                }
            },
            "additionalProperties": False,
        },
    }


def event_data_schemas(schemas: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Per event type, the schema of its `data`: the fields of the command it maps to, `type` optional.

    Returns the new component schemas and the CloudEvent's variants (one per event type).
    """
    by_command = {
        schema["properties"]["type"].get("const"): name
        for name, schema in schemas.items()
        if isinstance(schema.get("properties", {}).get("type"), dict)
    }
    components: dict[str, Any] = {}
    variants = []
    for event_type, command in sorted(cloudevents.TYPE_TO_COMMAND.items()):
        name = by_command.get(command)
        if name is None:
            continue
        data = copy.deepcopy(schemas[name])
        data["required"] = [f for f in data.get("required", []) if f != "type"]
        data["title"] = f"{name} (CloudEvent data)"
        components[f"{name}EventData"] = data
        variant: dict[str, Any] = {
            "properties": {
                "type": {"const": event_type},
                "data": {"$ref": f"{REF}{name}EventData"},
            }
        }
        if data["required"]:
            variant["required"] = ["data"]
        variants.append(variant)
    return components, variants


def _events_operation(operation: dict[str, Any]) -> None:
    content = operation["requestBody"]["content"]
    content[cloudevents.STRUCTURED] = {"schema": {"$ref": f"{REF}CloudEvent"}}
    content[cloudevents.BATCH] = {"schema": {"$ref": f"{REF}CloudEventBatch"}}
    content[cloudevents_binary.JSON] = {
        "schema": {"type": "object", "description": "binary mode: the data; the attributes are `ce-` headers"}
    }
    ok = operation["responses"]["200"]["content"]["application/json"]
    ok["schema"] = {"anyOf": [{"$ref": f"{REF}CommandResult"}, {"$ref": f"{REF}EventResults"}]}


def error_statuses(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    """The error statuses this operation can answer, from what it is."""
    parameters = operation.get("parameters", [])
    names = {p["name"] for p in parameters}
    statuses = {406}
    if path not in STORELESS:
        statuses.add(503)
    if parameters or "requestBody" in operation:
        statuses.add(422)
    if operation.get("security"):
        # A referenced team, tenant or plan may be unknown, or hidden from the caller: 404.
        statuses |= {401, 403, 404}
    if "requestBody" in operation:
        statuses |= {400, 413, 415}
    if method == "post":
        statuses.add(409)
    if "If-Match" in names:
        statuses.add(412)
    return sorted(statuses)


def _problem_response(status: int) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if status == 503:
        headers["Retry-After"] = {"$ref": f"{HEADERS}Retry-After"}
    if status == 401:
        headers["WWW-Authenticate"] = {"$ref": f"{HEADERS}WWW-Authenticate"}
    return {
        "description": f"{TITLES.get(status, 'Error')}: {WHY[status]}",
        "headers": headers,
        "content": {PROBLEM: {"schema": {"$ref": f"{REF}Problem"}}},
    }


def _document_operation(path: str, method: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("422", None)  # FastAPI's HTTPValidationError: not what the server sends
    for status in error_statuses(path, method, operation):
        documented = _problem_response(status)
        found = responses.setdefault(str(status), documented)
        # A route's own answer for this status (`/ready`'s 503 body), and the problem the edge may send.
        found.setdefault("content", {}).setdefault(PROBLEM, documented["content"][PROBLEM])
        found.setdefault("headers", {}).update(documented["headers"])
    for code, response in responses.items():
        headers = response.setdefault("headers", {})
        headers.setdefault("traceparent", {"$ref": f"{HEADERS}traceparent"})
        headers.setdefault("X-Request-ID", {"$ref": f"{HEADERS}X-Request-ID"})
        if code == "201":
            headers.setdefault("Location", {"$ref": f"{HEADERS}Location"})
        if (method, path) in ETAG_OPERATIONS and code in ("200", "201", "304"):
            headers.setdefault("ETag", {"$ref": f"{HEADERS}ETag"})
    for parameter in operation.get("parameters", []):
        pattern = HEADER_PATTERNS.get(parameter["name"]) if parameter["in"] == "header" else None
        if pattern is not None:
            parameter["schema"] = {**parameter.get("schema", {}), "pattern": pattern}
            parameter["schema"].pop("anyOf", None)
            parameter["schema"]["type"] = "string"


# OpenAPI links: the id a created resource answers with, into the operations on it (clients and
# stateful testers follow them).
LINKS = {
    ("post", "/plans", "201"): ("plan_id", "/plans/{plan_id}", ("get", "post"), "#/plan_id"),
    ("post", "/help-requests", "201"): (
        "request_id",
        "/help-requests/{request_id}",
        ("get", "post"),
        "#/request_id",
    ),
}


def _links(doc: dict[str, Any]) -> None:
    paths = doc.get("paths", {})
    for (method, path, status), (name, prefix, methods, pointer) in LINKS.items():
        response = paths.get(path, {}).get(method, {}).get("responses", {}).get(status)
        if response is None:
            continue
        links = response.setdefault("links", {})
        for target, operations in paths.items():
            if not target.startswith(prefix) or f"{{{name}}}" not in target:
                continue
            for verb, operation in operations.items():
                if verb in methods and "operationId" in operation:
                    links[operation["operationId"]] = {
                        "operationId": operation["operationId"],
                        "parameters": {name: f"$response.body{pointer}"},
                    }


def document(app: FastAPI) -> dict[str, Any]:
    """The generated document, post-processed as the module docstring says."""
    doc = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas.update(problem_schemas())
    data_schemas, variants = event_data_schemas(schemas)
    schemas.update(data_schemas)
    schemas.update(event_schemas())
    # The data of each event type is its command's fields (api/http/formats/cloudevents.py).
    schemas["CloudEvent"]["oneOf"] = variants
    components["headers"] = header_components()
    for path, operations in doc.get("paths", {}).items():
        for method, operation in operations.items():
            if path == "/events" and method == "post":
                _events_operation(operation)
            _document_operation(path, method, operation)
    _links(doc)
    return doc


def describe(app: FastAPI) -> None:
    """Serve the post-processed document at /openapi.json (built once, on first request)."""
    built: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if not built:
            built.update(document(app))
        return built

    setattr(app, "openapi", openapi)  # noqa: B010 - FastAPI's documented way to replace the document
