"""Signing in to the console through an OpenID Connect provider the test runs on loopback:
authorization code with PKCE (S256), state and nonce checked, the id_token verified."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from eenplan.api.settings import Settings
from tests.conftest import STORE
from tests.e2e.conftest import Server, token_factory
from tests.e2e.directory_setup import municipality, register_municipality, register_people
from tests.e2e.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider

pytestmark = pytest.mark.skipif(
    STORE == "postgres", reason="sign-in touches no store; the SQLite suite runs it"
)
AUDITOR = "oidc-auditor"


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    found = Provider()
    try:
        yield found
    finally:
        found.stop()


@pytest.fixture(scope="module")
def server(provider: Provider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory: Path = tmp_path_factory.mktemp("oidc")
    settings = Settings(database_url=f"sqlite:///{directory / 'eenplan.db'}", data_dir=directory / "data")
    env = {
        "EENPLAN_CONSOLE_OIDC_ISSUER": provider.url,
        "EENPLAN_CONSOLE_OIDC_CLIENT_ID": CLIENT_ID,
        "EENPLAN_CONSOLE_OIDC_CLIENT_SECRET": CLIENT_SECRET,
    }
    srv = Server(settings, extra_env=env)
    try:
        with httpx.Client(base_url=srv.url, timeout=30) as client:
            mint = token_factory(settings)
            admin = register_municipality(client, mint, "GM0687")
            register_people(client, admin, municipality("GM0687"), AUDITOR)
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def browser(server: Server, provider: Provider) -> Iterator[httpx.Client]:
    """One browser's cookie jar; the provider signs in the municipality's auditor unless told otherwise."""
    provider.person = {
        "sub": AUDITOR,
        "org": municipality("GM0687"),
        "tenants": ["GM0687"],
        "roles": ["auditor"],
    }
    provider.wrong_nonce = provider.foreign_key = False
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def _to_provider(browser: httpx.Client) -> str:
    """Start signing in; the address the console sends the browser to."""
    answer = browser.get("/console/oidc/begin")
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def _back_from_provider(browser: httpx.Client, address: str) -> httpx.Response:
    """The provider's authorize step, then the console's callback, as a browser follows them."""
    back = httpx.get(address, timeout=30)
    assert back.status_code == 302
    callback = urlsplit(back.headers["location"])
    return browser.get(f"{callback.path}?{callback.query}")


def test_the_code_flow_with_pkce_signs_the_auditor_in(browser: httpx.Client, provider: Provider) -> None:
    address = _to_provider(browser)
    asked = {k: v[0] for k, v in parse_qs(urlsplit(address).query).items()}
    assert asked["response_type"] == "code" and asked["client_id"] == CLIENT_ID
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert asked["state"] and asked["nonce"] and "openid" in asked["scope"].split()
    answer = _back_from_provider(browser, address)
    assert answer.status_code == 303 and answer.headers["location"] == "/console"
    sent = provider.token_requests[-1]
    assert sent["code_verifier"] != asked["code_challenge"] and sent["client_secret"] == CLIENT_SECRET
    assert "pkce" not in provider.refused
    page = browser.get("/console")
    assert page.status_code == 200 and AUDITOR in page.text


def test_the_sign_in_page_offers_the_provider(browser: httpx.Client) -> None:
    page = browser.get("/console/aanmelden")
    assert 'href="/console/oidc/begin"' in page.text


def test_an_answer_with_another_state_is_refused(browser: httpx.Client, provider: Provider) -> None:
    address = _to_provider(browser)
    back = httpx.get(address, timeout=30)
    code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
    answer = browser.get("/console/oidc/terug", params={"code": code, "state": "not-the-state"})
    assert answer.status_code == 400
    assert browser.get("/console").status_code == 303  # not signed in


def test_an_answer_no_sign_in_in_this_browser_asked_for_is_refused(
    browser: httpx.Client, server: Server, provider: Provider
) -> None:
    """Login CSRF: a code and state from someone else's sign-in, planted in this browser."""
    with httpx.Client(base_url=server.url, timeout=30) as other:
        address = _to_provider(other)
    back = urlsplit(httpx.get(address, timeout=30).headers["location"])
    assert browser.get(f"{back.path}?{back.query}").status_code == 400


def test_an_id_token_with_another_nonce_is_refused(browser: httpx.Client, provider: Provider) -> None:
    provider.wrong_nonce = True
    answer = _back_from_provider(browser, _to_provider(browser))
    assert answer.status_code == 401 and "nonce" in answer.text
    assert browser.get("/console").status_code == 303


def test_an_id_token_signed_with_a_key_not_in_the_jwks_is_refused(
    browser: httpx.Client, provider: Provider
) -> None:
    provider.foreign_key = True
    answer = _back_from_provider(browser, _to_provider(browser))
    assert answer.status_code == 401
    assert browser.get("/console").status_code == 303


def test_a_callback_replayed_after_sign_in_is_refused(browser: httpx.Client, provider: Provider) -> None:
    address = _to_provider(browser)
    back = urlsplit(httpx.get(address, timeout=30).headers["location"])
    assert browser.get(f"{back.path}?{back.query}").status_code == 303
    assert browser.get(f"{back.path}?{back.query}").status_code == 400  # the sign-in it belonged to is done


def test_a_professional_signed_in_by_the_provider_is_refused(
    browser: httpx.Client, provider: Provider
) -> None:
    provider.person = {**provider.person, "roles": ["professional"]}
    answer = _back_from_provider(browser, _to_provider(browser))
    assert answer.status_code == 403
    assert browser.get("/console").status_code == 303


def test_someone_the_directory_does_not_know_is_refused(browser: httpx.Client, provider: Provider) -> None:
    provider.person = {**provider.person, "sub": "unknown-person"}
    answer = _back_from_provider(browser, _to_provider(browser))
    assert answer.status_code == 401
