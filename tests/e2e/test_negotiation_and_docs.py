"""HTTP as RFC 9110 says, the rest: 406 for an Accept it cannot serve, 415 for a body that is not JSON,
gzip for large answers when asked, CORS for an allow-list only; and /docs that works offline."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import httpx
import pytest

from eenplan.api.settings import Settings
from tests.e2e.conftest import Server, TokenFactory
from tests.e2e.directory_setup import Tenant, setup_tenant

PROBLEM = "application/problem+json"
FRONTEND = "https://wijkteam.example.nl"


@pytest.fixture
def tenant(shared_client: httpx.Client, shared_token: TokenFactory) -> Tenant:
    return setup_tenant(shared_client, shared_token)


def _plan(tenant: Tenant) -> tuple[str, dict[str, str]]:
    regisseur = tenant.pro("welfare")
    return tenant.open_plan(regisseur)["plan_id"], tenant.headers(regisseur)


def test_an_accept_the_route_cannot_serve_is_406_problem_json_and_nothing_runs(
    shared_client: httpx.Client, tenant: Tenant
) -> None:
    plan_id, me = _plan(tenant)
    c = shared_client
    for accept in ("application/xml", "text/html", "application/json;q=0", "image/*"):
        refused = c.get(f"/plans/{plan_id}", headers={**me, "Accept": accept})
        assert refused.status_code == 406, accept
        assert refused.headers["content-type"] == PROBLEM
        assert refused.json()["accepted"] == ["application/json"]
        assert "traceparent" in refused.headers
    version = c.get(f"/plans/{plan_id}", headers=me).json()["version"]
    note = {"type": "add_note", "text": "gesprek", "category": "general"}
    refused = c.post(f"/plans/{plan_id}/commands", json=note, headers={**me, "Accept": "text/csv"})
    assert refused.status_code == 406
    assert c.get(f"/plans/{plan_id}", headers=me).json()["version"] == version  # the command did not run
    for accept in ("application/json", "*/*", "application/*", "text/html, application/json;q=0.1", ""):
        assert c.get(f"/plans/{plan_id}", headers={**me, "Accept": accept}).status_code == 200, accept
    assert c.get("/health", headers={"Accept": "application/xml"}).status_code == 406
    assert (
        c.get(f"/plans/{plan_id}/fhir", headers={**me, "Accept": "application/fhir+json"}).status_code == 200
    )


def test_a_body_that_is_not_json_is_415_problem_json_not_422(
    shared_client: httpx.Client, tenant: Tenant
) -> None:
    plan_id, me = _plan(tenant)
    body = b'{"type": "add_note", "text": "x", "category": "general"}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
        refused = shared_client.post(
            f"/plans/{plan_id}/commands", content=body, headers={**me, "Content-Type": content_type}
        )
        assert (refused.status_code, refused.headers["content-type"]) == (415, PROBLEM), content_type
        assert refused.json()["type"].endswith("/unsupported-media-type")
    for content_type in (
        "application/json",
        "application/json; charset=utf-8",
        "application/merge-patch+json",
    ):
        taken = shared_client.post(
            f"/plans/{plan_id}/commands", content=body, headers={**me, "Content-Type": content_type}
        )
        assert taken.status_code == 200, (content_type, taken.text)


def test_large_answers_are_gzipped_when_asked_and_small_ones_are_not(
    shared_client: httpx.Client, tenant: Tenant
) -> None:
    plan_id, me = _plan(tenant)
    raw = httpx.Client(base_url=str(shared_client.base_url), timeout=30)
    with raw:
        asked = raw.get(f"/plans/{plan_id}/history", headers={**me, "Accept-Encoding": "gzip"})
        plain = raw.get(f"/plans/{plan_id}/history", headers={**me, "Accept-Encoding": "identity"})
        small = raw.get("/health", headers={"Accept-Encoding": "gzip"})
    assert len(plain.content) > 1000
    assert asked.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in asked.headers["vary"].lower()
    assert "content-encoding" not in plain.headers
    # httpx decodes gzip for us; the bytes on the wire were smaller than the JSON.
    assert int(asked.headers["content-length"]) < len(plain.content)
    assert asked.json() == plain.json()
    assert "content-encoding" not in small.headers
    # The bytes on the wire are really gzip of the same JSON.
    with (
        httpx.Client(base_url=str(shared_client.base_url), timeout=30) as wire,
        wire.stream("GET", f"/plans/{plan_id}/history", headers={**me, "Accept-Encoding": "gzip"}) as r,
    ):
        sent = b"".join(r.iter_raw())
    assert json.loads(gzip.decompress(sent)) == plain.json()
    assert len(sent) < len(plain.content)
    compressed = httpx.get(
        f"{shared_client.base_url}/openapi.json", headers={"Accept-Encoding": "gzip"}, timeout=30
    )
    assert compressed.headers["content-encoding"] == "gzip"


@pytest.fixture
def cors_server(settings: Settings) -> Iterator[Server]:
    srv = Server(settings, extra_env={"EENPLAN_CORS_ORIGINS": f"{FRONTEND}, http://localhost:5173"})
    try:
        yield srv
    finally:
        srv.stop()


def test_cors_answers_only_the_origins_on_the_allow_list(cors_server: Server, shared_server: Server) -> None:
    preflight = {"Origin": FRONTEND, "Access-Control-Request-Method": "POST"}
    with httpx.Client(base_url=cors_server.url, timeout=30) as c:
        allowed = c.options(
            "/plans", headers={**preflight, "Access-Control-Request-Headers": "Idempotency-Key"}
        )
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == FRONTEND
        assert "idempotency-key" in allowed.headers["access-control-allow-headers"].lower()
        simple = c.get("/health", headers={"Origin": FRONTEND})
        assert simple.headers["access-control-allow-origin"] == FRONTEND
        assert "etag" in simple.headers["access-control-expose-headers"].lower()
        stranger = c.get("/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in stranger.headers
        refused = c.options("/plans", headers={**preflight, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in refused.headers
    # None by default: no CORS header for any origin, and OPTIONS stays the Allow answer.
    with httpx.Client(base_url=shared_server.url, timeout=30) as c:
        assert "access-control-allow-origin" not in c.get("/health", headers={"Origin": FRONTEND}).headers
        default = c.options("/plans", headers=preflight)
        assert default.status_code == 204 and "access-control-allow-origin" not in default.headers


def test_a_cors_origin_with_a_wildcard_or_path_is_refused_at_start() -> None:
    for bad in ("*", "https://*.example.nl", "https://a.example/path"):
        with pytest.raises(ValueError, match="scheme://host"):
            Settings(cors_origins=bad)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]


def test_docs_load_swagger_ui_from_this_server_only_with_its_licence(shared_client: httpx.Client) -> None:
    page = shared_client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    links = _Links()
    links.feed(page.text)
    assert links.urls, page.text
    for url in links.urls:
        assert url.startswith("/") and not url.startswith("//"), url
    # No absolute URL anywhere in the page (the script's settings included), and no validator badge.
    assert not re.search(r"https?://", page.text), page.text
    assert '"validatorUrl": null' in page.text
    for url in links.urls:
        asset = shared_client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100, url
    script = shared_client.get("/docs/assets/swagger-ui-bundle.js")
    assert b"SwaggerUIBundle" in script.content
    assert script.headers["content-type"].startswith("text/javascript")
    licence = shared_client.get("/docs/LICENSE")
    assert licence.status_code == 200 and "Apache License" in licence.text
    assert shared_client.get("/docs/assets/..%2Fswagger-ui-bundle.js").status_code == 404
    assert shared_client.get("/docs/assets/index.j2").status_code == 404
