"""The console's session cookie: sealed, tamper-evident, Secure outside development; PKCE's S256."""

from __future__ import annotations

import base64
import hashlib
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from fastapi.responses import Response
from pydantic import SecretStr

from eenplan.api.http.console.oidc import challenge
from eenplan.api.http.console.session import Login, Person, Session, SessionCodec
from eenplan.api.http.console.web import keep
from eenplan.api.settings import Settings

KEY = bytes(range(32))


def _container(mode: str) -> Any:
    production = {
        "jwks_file": Path("/nonexistent/jwks.json"),
        "master_key": SecretStr(base64.b64encode(KEY).decode()),
        "jwt_issuer": "https://idp.example",
        "signal_key": SecretStr("a-real-signal-key"),
    }
    settings = Settings(mode=mode, **(production if mode == "production" else {}))  # type: ignore[arg-type]
    return SimpleNamespace(settings=settings, privacy=SimpleNamespace(config=SimpleNamespace(master_key=KEY)))


def test_the_cookie_is_secure_httponly_and_samesite_in_production() -> None:
    response = Response()
    keep(response, _container("production"), Session())
    cookie = response.headers["set-cookie"].lower()
    assert (
        "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie and "path=/console" in cookie
    )


def test_the_cookie_is_not_secure_in_development_where_it_runs_on_plain_http() -> None:
    response = Response()
    keep(response, _container("development"), Session())
    assert "secure" not in response.headers["set-cookie"].lower()


def test_a_sealed_session_opens_to_the_same_person_and_token() -> None:
    codec = SessionCodec(KEY)
    person = Person("aud-1", "gemeente-GM0687", ["GM0687"], ["auditor"])
    session = Session().signed_in_as(person, 1.0, "development")
    opened = codec.open(codec.seal(session))
    assert opened == session and opened.signed_in and opened.person == person


def test_the_cookie_holds_no_readable_claims() -> None:
    sealed = SessionCodec(KEY).seal(
        Session().signed_in_as(Person("aud-1", "org", ["GM0687"], ["auditor"]), 1, "x")
    )
    raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
    assert b"aud-1" not in raw and b"auditor" not in raw


def test_a_changed_byte_or_another_key_opens_to_no_session() -> None:
    session = Session().signed_in_as(Person("aud-1", "org", ["GM0687"], ["auditor"]), 1, "x")
    sealed = SessionCodec(KEY).seal(session)
    flipped = sealed[:10] + ("A" if sealed[10] != "A" else "B") + sealed[11:]
    assert not SessionCodec(KEY).open(flipped).signed_in
    assert not SessionCodec(bytes(32)).open(sealed).signed_in
    assert not SessionCodec(KEY).open("not base64 at all!").signed_in


def test_a_session_past_its_hours_is_not_signed_in() -> None:
    session = Session(person=Person("a", "o", ["GM0687"], ["auditor"]), expires=time.time() - 1)
    assert not SessionCodec(KEY).open(SessionCodec(KEY).seal(session)).signed_in


def test_a_sign_in_left_unfinished_for_ten_minutes_is_forgotten() -> None:
    stale = Session().starting(Login("s", "n", "v", time.time() - 601))
    fresh = Session().starting(Login("s", "n", "v", time.time()))
    codec = SessionCodec(KEY)
    assert codec.open(codec.seal(stale)).login is None
    assert codec.open(codec.seal(fresh)).login == fresh.login


def test_csrf_tokens_compare_whole_and_refuse_empty() -> None:
    session = Session()
    assert session.csrf_matches(session.csrf)
    assert (
        not session.csrf_matches(session.csrf[:-1])
        and not session.csrf_matches("")
        and not session.csrf_matches(None)
    )


def test_signing_in_gives_a_new_csrf_token() -> None:
    before = Session()
    after = before.signed_in_as(Person("a", "o", ["GM0687"], ["auditor"]), 1, "oidc")
    assert after.csrf != before.csrf


def test_the_pkce_challenge_is_rfc_7636_s256() -> None:
    # RFC 7636 appendix B's example.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert challenge(verifier) == base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()
    ).decode().rstrip("=")
