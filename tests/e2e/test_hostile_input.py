"""Hostile input over HTTP: huge bodies, deep JSON, broken UTF-8, SQL and script in text fields.

Each gets a 4xx problem or is stored verbatim as data; never a 5xx; a refusal changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from eenplan.api.settings import Settings
from tests.e2e.conftest import Server
from tests.e2e.faultkit import Household, household
from tests.factories import household as household_body

pytestmark = [pytest.mark.fuzz]

PAYLOADS = [
    "'; DROP TABLE eenplan_events; --",
    "Robert'); DELETE FROM eenplan_events WHERE ('1'='1",
    "1 OR 1=1",
    "<script>alert(document.cookie)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*7}} ${jndi:ldap://127.0.0.1/a} %s%s%n",
    "\u202eevil\u202c \U0001f600 ünïcödé",
    "$(rm -rf /) `id`",
]
NOTE = {"type": "add_note", "category": "general"}
# Refused: a lone surrogate (a valid JSON escape, not storable Unicode), an over-long text,
# and control characters such as NUL (some stores refuse them).
BROKEN_STRINGS = ["lone \ud800 surrogate", "x" * 10_001, "nul\x00byte", "bell\x07"]


@pytest.fixture
def live(shared_settings: Settings, shared_server: Server) -> Iterator[tuple[httpx.Client, Household]]:
    """A plan of its own on the shared server, and a client that speaks for its regisseur."""
    home = household(shared_settings)
    with httpx.Client(base_url=shared_server.url, timeout=30, headers=home.headers) as http:
        yield http, home


def _version(http: httpx.Client, home: Household) -> int:
    response = http.get(f"/plans/{home.plan_id}")
    assert response.status_code == 200, response.text
    return int(response.json()["version"])


def _refused(response: httpx.Response, *statuses: int) -> None:
    assert response.status_code in statuses, (response.status_code, response.text[:500])
    assert response.headers["content-type"] == "application/problem+json"


def test_a_body_over_the_limit_is_refused_with_413_declared_or_streamed(
    live: tuple[httpx.Client, Household],
) -> None:
    http, home = live
    before = _version(http, home)
    big = json.dumps({"type": "add_note", "category": "general", "text": "x" * 2_000_000}).encode()
    url = f"/plans/{home.plan_id}/commands"
    _refused(http.post(url, content=big, headers={"content-type": "application/json"}), 413)
    chunks = (big[i : i + 65536] for i in range(0, len(big), 65536))  # no Content-Length
    _refused(http.post(url, content=chunks, headers={"content-type": "application/json"}), 413)
    assert _version(http, home) == before


def test_deep_json_broken_utf8_and_unstorable_text_are_refused_with_a_4xx_and_change_nothing(
    live: tuple[httpx.Client, Household],
) -> None:
    http, home = live
    before = _version(http, home)
    nested = [("[" * d + "]" * d) for d in (100, 5_000, 100_000)]
    bodies = [
        *(f'{{"type": "add_note", "category": "general", "text": {n}}}'.encode() for n in nested),
        b'{"type": "add_note", "category": "general", "text": "\xff\xfe broken"}',
        b'{"type": "add_note", "category": "general", "text": "\xc3\x28"}',
        b"\xef\xbb\xbf\x80\x81",
        *(
            json.dumps({"type": "add_note", "category": "general", "text": t}).encode()
            for t in BROKEN_STRINGS
        ),
    ]
    for body in bodies:
        response = http.post(
            f"/plans/{home.plan_id}/commands", content=body, headers={"content-type": "application/json"}
        )
        _refused(response, 400, 422)
    assert _version(http, home) == before


def _commands(payload: str) -> list[dict[str, object]]:
    """One command per kind of free-text field, each field filled with the payload."""
    return [
        {"type": "add_note", "category": "general", "text": payload},
        {"type": "set_goal", "goal_id": "g1", "life_domain": "finances", "description": payload},
        {"type": "record_progress", "goal_id": "g1", "score": 2, "note": payload},
        {"type": "assess_risk", "level": "low", "rationale": payload},
        {"type": "change_address", "address": _address(payload)},
    ]


def _address(payload: str) -> dict[str, str]:
    return {"street": payload[:200], "house_number": "1", "postal_code": "4331 AB", "city": payload[:200]}


def test_sql_and_script_in_text_fields_are_stored_verbatim_as_data(
    live: tuple[httpx.Client, Household],
) -> None:
    http, home = live
    for payload in PAYLOADS:
        _store_verbatim(http, home, payload)
        _open_verbatim(http, home, payload)


def _open_verbatim(http: httpx.Client, home: Household, payload: str) -> None:
    household = household_body()
    household["members"][0]["given_name"] = payload
    household["address"]["street"] = payload
    world = home.world
    body = {"tenant": world.tenant, "team_id": world.team_id, "legal_basis": "wmo2015"}
    response = http.post("/plans", json={**body, "household": household, "reason": payload})
    assert response.status_code == 201, response.text
    plan = http.get(f"/plans/{response.json()['plan_id']}")
    assert plan.status_code == 200
    assert payload in _strings(plan.json())


def _store_verbatim(http: httpx.Client, home: Household, payload: str) -> None:
    for body in _commands(payload):
        version = _version(http, home)
        response = http.post(f"/plans/{home.plan_id}/commands", json=body)
        if response.status_code >= 400:
            _refused(response, 400, 409, 422)
            assert _version(http, home) == version
    plan = http.get(f"/plans/{home.plan_id}")
    assert plan.status_code == 200
    assert payload in _strings(plan.json())
    history = http.get(f"/plans/{home.plan_id}/history")
    assert history.status_code == 200
    assert payload in _strings(history.json())


def _strings(value: object) -> list[str]:
    """Every string in a JSON document, at any depth."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []
