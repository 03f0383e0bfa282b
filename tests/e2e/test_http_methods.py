"""HTTP methods per RFC 9110: HEAD wherever GET is, OPTIONS with every method of the path, 405's Allow."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.e2e.partner_world import auth

UNKNOWN_PLAN = "00000000-0000-0000-0000-000000000000"


# These tests make their own ids and plans: the run's shared server will do, which saves a server
# start per test (tests/e2e/conftest.py).
pytestmark = pytest.mark.shared_store


def _documented(client: httpx.Client, plan_id: str) -> dict[str, set[str]]:
    """Every documented path, its parameters filled in (a plan id where it names a plan), and its methods."""
    paths = client.get("/openapi.json").json()["paths"]
    filled = {}
    for template, operations in paths.items():
        path = re.sub(r"\{[^}]+\}", "x", template.replace("{plan_id}", plan_id))
        filled[path] = {method.upper() for method in operations}
    return filled


def test_options_names_every_method_of_every_route_on_the_path_without_a_token(
    client: httpx.Client, regisseur_plan: tuple[str, str]
) -> None:
    plan_id, _ = regisseur_plan
    documented = _documented(client, plan_id)
    assert documented["/plans"] == {"GET", "POST"}  # two routes, in two routers
    for path, methods in documented.items():
        response = client.options(path)
        expected = methods | {"OPTIONS"} | ({"HEAD"} if "GET" in methods else set())
        assert response.status_code == 204, (path, response.text)
        assert set(response.headers["allow"].split(", ")) == expected, path
        assert response.content == b""
    # A plan that does not exist gets the same answer: the methods are the path's, not the plan's.
    assert client.options(f"/plans/{UNKNOWN_PLAN}").headers["allow"] == "GET, HEAD, OPTIONS"
    unknown = client.options("/no-such-path")
    assert (unknown.status_code, unknown.headers["content-type"]) == (404, "application/problem+json")


def test_head_answers_wherever_get_does_with_its_status_and_headers_and_no_body(
    client: httpx.Client, regisseur_plan: tuple[str, str]
) -> None:
    plan_id, bearer = regisseur_plan
    gets = [path for path, methods in _documented(client, plan_id).items() if "GET" in methods]
    assert len(gets) > 10
    for path in (p for p in gets if p != "/changes"):
        got, head = client.get(path, headers=auth(bearer)), client.head(path, headers=auth(bearer))
        assert (head.status_code, head.headers.get("content-type")) == (
            got.status_code,
            got.headers.get("content-type"),
        ), path
        assert head.content == b"", path
    got, head = (
        client.get(f"/plans/{plan_id}", headers=auth(bearer)),
        client.head(f"/plans/{plan_id}", headers=auth(bearer)),
    )
    for name in ("content-type", "content-length", "etag"):
        assert head.headers[name] == got.headers[name], name
    revalidated = client.head(
        f"/plans/{plan_id}", headers=auth(bearer, **{"If-None-Match": got.headers["etag"]})
    )
    assert (revalidated.status_code, revalidated.content) == (304, b"")
    assert client.head(f"/plans/{UNKNOWN_PLAN}", headers=auth(bearer)).status_code == 404
    assert client.head(f"/plans/{plan_id}").status_code == 401


def test_head_of_the_change_feed_answers_its_headers_at_once_instead_of_streaming(
    client: httpx.Client, regisseur_plan: tuple[str, str]
) -> None:
    _, bearer = regisseur_plan
    started = time.monotonic()
    response = client.head("/changes", headers=auth(bearer))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert (response.content, time.monotonic() - started < 5) == (b"", True)


def test_a_method_the_path_does_not_take_is_405_naming_every_method_it_does(
    client: httpx.Client, regisseur_plan: tuple[str, str]
) -> None:
    plan_id, bearer = regisseur_plan
    for method, path, allow in (
        ("DELETE", "/plans", "GET, HEAD, OPTIONS, POST"),
        ("PUT", f"/plans/{plan_id}", "GET, HEAD, OPTIONS"),
        ("HEAD", "/events", "OPTIONS, POST"),
        ("GET", "/events", "OPTIONS, POST"),
    ):
        response = client.request(method, path, headers=auth(bearer))
        assert (response.status_code, response.headers["allow"]) == (405, allow), (method, path)
        if method != "HEAD":
            assert response.headers["content-type"] == "application/problem+json"
