"""Hostile input over HTTP: huge bodies, deep JSON, broken UTF-8, SQL and script in text fields.

Each gets a 4xx problem or is stored verbatim as data; never a 5xx; a refusal changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from eenplan.api.http.auth import mint_dev_token
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


# Query values a client should never send: beyond 64 bits, negative, not numbers, NUL bytes,
# thousands of digits (int() refuses more than 4300), dates outside the calendar once in UTC.
HOSTILE_VALUES = [
    "-1",
    str(2**63),
    "9" * 30,
    "9" * 5000,
    "1e309",
    "NaN",
    "\u00b2",
    "nul\x00byte",
    "x" * 5000,
    "'; DROP TABLE eenplan_events; --",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "-999999999-01-01",
    "99999999999999999999",
]


def _read_routes(home: Household) -> dict[str, list[str]]:
    """Every GET route that takes query parameters, with them."""
    plan, team = home.plan_id, home.world.team_id
    reads = ["version", "as_of", "as_seen_by"]
    views = ["team_id", "status", "risk_level", "overdue", "cursor", "limit", "min_position"]
    return {
        f"/plans/{plan}": reads,
        f"/plans/{plan}/history": reads,
        f"/plans/{plan}/fhir": reads,
        f"/plans/{plan}/processing-log": ["after", "limit"],
        "/plans": views,
        "/caseload": [*views, "professional_id", "organisation_id"],
        f"/teams/{team}/dashboard": ["min_position"],
        "/monitoring": ["tenant", "from", "to", "min_position"],
        "/audit/verify": ["plan_id"],
        "/signals/matches": ["team_id"],
        "/help-requests/waiting-times": ["tenant", "team_id", "topic"],
    }


@pytest.fixture
def oversight(settings: Settings, live: tuple[httpx.Client, Household]) -> dict[str, str]:
    """The regisseur with every role a person may hold, so each route gets past its role check."""
    world, regisseur = live[1].world, live[1].regisseur
    roles = ["professional", "team_lead", "auditor", "privacy_officer", "admin"]
    bearer = mint_dev_token(
        settings, sub=regisseur, org=world.orgs["welfare"], tenants=[world.tenant], roles=roles
    )
    return {"Authorization": f"Bearer {bearer}"}


def test_hostile_query_values_on_every_read_are_a_4xx_problem_never_a_5xx(
    live: tuple[httpx.Client, Household], oversight: dict[str, str]
) -> None:
    http, home = live
    tried = 0
    for path, names in _read_routes(home).items():
        for name, value in ((n, v) for n in names for v in HOSTILE_VALUES):
            base = {"tenant": home.world.tenant} if name != "tenant" and "tenant" in names else {}
            if path == "/signals/matches" and name != "team_id":
                continue
            response = http.get(path, params={**base, name: value}, headers=oversight)
            assert response.status_code < 500, (path, name, value[:40], response.text[:300])
            if response.status_code >= 400:
                _refused(response, response.status_code)
            tried += 1
    assert tried > 300


def test_hostile_positions_in_the_change_feed_and_versions_in_if_match_are_refused(
    live: tuple[httpx.Client, Household],
) -> None:
    http, home = live
    for value in ("-1", str(2**63), "9" * 5000, "\u00b2", "1e3", "NaN"):
        _refused(http.get("/changes", params={"after": value}), 422)
    for value in (str(2**63), "9" * 5000, "\u00b2", "-5", "1e3"):
        _refused(http.get("/changes", headers={"Last-Event-ID": value.encode()}), 422)
    note = {"type": "add_note", "category": "general", "text": "x"}
    before = _version(http, home)
    for value in ('"9999999999999999999999"', '"' + "9" * 5000 + '"', '"\u00b2"', '"-1"'):
        headers = {"If-Match": value.encode()}
        response = http.post(f"/plans/{home.plan_id}/commands", json=note, headers=headers)
        _refused(response, 412, 422)
    assert _version(http, home) == before


def test_hostile_cloudevents_are_refused_and_a_batch_that_fails_whole_still_answers_per_event(
    live: tuple[httpx.Client, Household],
) -> None:
    http, home = live
    structured, batch = "application/cloudevents+json", "application/cloudevents-batch+json"
    before = _version(http, home)

    def event(**changes: object) -> dict[str, object]:
        base = {"specversion": "1.0", "id": "e1", "source": "urn:x", "type": "nl.eenplan.note.added",
                "subject": home.plan_id, "data": {"category": "general", "text": "t"}}  # fmt: skip
        return {**base, **changes}

    deep = ("[" * 100_000 + "]" * 100_000).encode()
    _refused(http.post("/events", content=deep, headers={"content-type": batch}), 400)
    for bad in (
        event(id="nul\x00"),
        event(id="x" * 10_000),
        event(source="\n"),
        event(actingfor=42),
        event(subject="s" * 600),
    ):
        response = http.post("/events", content=json.dumps(bad), headers={"content-type": structured})
        _refused(response, 422)
    assert _version(http, home) == before
    failing = [event(id="a", subject="00000000-0000-0000-0000-000000000000"), event(id="b", subject="x")]
    answer = http.post("/events", content=json.dumps(failing), headers={"content-type": batch})
    assert answer.status_code == 200, answer.text
    assert [r["status"] for r in answer.json()["results"]] == [404, 404]
    assert _version(http, home) == before


HOSTILE_HEADER_VALUES = [
    '"' + "9" * 7000 + '"',
    ", ," * 3000,
    "W/" * 2000 + '"1"',
    '"' + "\\" * 3000 + '"',
    '"' + '\\"' * 2000 + '"',
    '"1";' + "a=1;" * 1500,
    "%" * 5000,
    "%C0%AF" * 500,
    "\u00ff\u00fe",
]


def test_hostile_conditions_idempotency_keys_and_cloudevents_headers_are_a_4xx_never_a_5xx(
    live: tuple[httpx.Client, Household],
) -> None:
    http, home = live
    before = _version(http, home)
    note = {"type": "add_note", "category": "general", "text": "x"}
    binary = {"ce-specversion": "1.0", "ce-id": "h", "ce-source": "urn:x", "ce-type": "nl.eenplan.note.added"}
    for value in (v.encode("latin-1") for v in HOSTILE_HEADER_VALUES):
        read = http.get(f"/plans/{home.plan_id}", headers={"If-None-Match": value})
        assert read.status_code in (200, 304, 422), read.text[:300]
        for header in ("If-Match", "Idempotency-Key"):
            response = http.post(f"/plans/{home.plan_id}/commands", json=note, headers={header: value})
            _refused(response, 412, 422)
        for name in ("ce-id", "ce-subject", "ce-actingfor"):
            headers = {**binary, "ce-subject": home.plan_id, name: value}
            _refused(
                http.post("/events", json={"category": "general", "text": "x"}, headers=headers), 404, 422
            )
    assert _version(http, home) == before
