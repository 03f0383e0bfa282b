"""Production token verification against a JWKS: one case per refusal reason, through the API.

The JWKS is served over HTTP from 127.0.0.1 (as an identity provider would), or read from a file.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient
from pydantic import SecretStr

from eenplan.api.bootstrap import build
from eenplan.api.http.app import create_app
from eenplan.api.settings import Settings
from eenplan.domain.app import Eenplan
from eenplan.domain.directory import RegisterOrganisation, RegisterProfessional
from eenplan.domain.values import OrganisationKind
from tests.factories import ctx_for

ISSUER, AUDIENCE = "https://idp.example.test", "eenplan"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
ROGUE_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
UNSEEN_PLAN = "/plans/00000000-0000-0000-0000-000000000000"


def jwk(key: Any, kid: str) -> dict[str, Any]:
    algorithm = (
        jwt.algorithms.RSAAlgorithm if isinstance(key, rsa.RSAPrivateKey) else jwt.algorithms.ECAlgorithm
    )
    entry: dict[str, Any] = algorithm.to_jwk(key.public_key(), as_dict=True)
    return {**entry, "kid": kid, "use": "sig"}


class Jwks:
    """A JWKS endpoint on a free loopback port; its keys can change while it runs."""

    def __init__(self) -> None:
        self.document = {"keys": [jwk(RSA_KEY, "rsa-1"), jwk(EC_KEY, "ec-1")]}
        jwks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps(jwks.document).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/jwks.json"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()


@pytest.fixture
def jwks() -> Iterator[Jwks]:
    served = Jwks()
    yield served
    served.http.shutdown()


def production(settings: Settings, **keys: Any) -> Settings:
    master = SecretStr(base64.b64encode(os.urandom(32)).decode())
    return settings.model_copy(
        update={"mode": "production", "jwt_issuer": ISSUER, "master_key": master, **keys}
    )


@pytest.fixture
def api(settings: Settings, jwks: Jwks) -> Iterator[TestClient]:
    container = build(production(settings, jwks_url=jwks.url, jwks_refresh_seconds=1))
    register(container.eenplan)
    with TestClient(create_app(container)) as client:
        yield client


def register(app: Eenplan) -> None:
    """The caller the tokens below name: tokens must match the directory."""
    admin = ctx_for("admin", "org-1", "admin")
    kind = OrganisationKind.WELFARE
    app.directory.register_organisation(
        admin, RegisterOrganisation(id="org-1", name="Org", kind=kind, tenants=["GM0687"])
    )
    app.directory.register_professional(admin, "org-1", RegisterProfessional(id="pro-1", name="Pro"))


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"sub": "pro-1", "org": "org-1", "tenants": ["GM0687"], "roles": ["professional"]}
    return {**base, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600, **changes}


def status(client: TestClient, token: str) -> int:
    return client.get(UNSEEN_PLAN, headers={"Authorization": f"Bearer {token}"}).status_code


def test_rs256_and_es256_tokens_from_the_jwks_verify(api: TestClient) -> None:
    rs = jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"kid": "rsa-1"})
    es = jwt.encode(claims(), EC_KEY, algorithm="ES256", headers={"kid": "ec-1"})
    # Verified callers get past authentication: the unseen plan is a 404, not a 401.
    assert (status(api, rs), status(api, es)) == (404, 404)


REFUSED = {
    "alg none": lambda: jwt.encode(claims(), None, algorithm="none", headers={"kid": "rsa-1"}),
    "HS256 in production": lambda: jwt.encode(
        claims(), "s" * 32, algorithm="HS256", headers={"kid": "rsa-1"}
    ),
    "wrong aud": lambda: jwt.encode(
        claims(aud="someone-else"), RSA_KEY, algorithm="RS256", headers={"kid": "rsa-1"}
    ),
    "wrong iss": lambda: jwt.encode(
        claims(iss="https://evil.test"), RSA_KEY, algorithm="RS256", headers={"kid": "rsa-1"}
    ),
    "expired": lambda: jwt.encode(
        claims(exp=int(time.time()) - 3600), RSA_KEY, algorithm="RS256", headers={"kid": "rsa-1"}
    ),
    "unknown kid": lambda: jwt.encode(claims(), ROGUE_KEY, algorithm="RS256", headers={"kid": "rogue"}),
    "known kid, other key": lambda: jwt.encode(
        claims(), ROGUE_KEY, algorithm="RS256", headers={"kid": "rsa-1"}
    ),
    "RS256 header on the EC key": lambda: jwt.encode(
        claims(), RSA_KEY, algorithm="RS256", headers={"kid": "ec-1"}
    ),
}


@pytest.mark.parametrize("reason", list(REFUSED))
def test_a_token_is_refused_with_401(api: TestClient, reason: str) -> None:
    response = api.get(UNSEEN_PLAN, headers={"Authorization": f"Bearer {REFUSED[reason]()}"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_key_added_to_the_jwks_is_picked_up_after_the_refresh_interval(api: TestClient, jwks: Jwks) -> None:
    rotated = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(claims(), rotated, algorithm="RS256", headers={"kid": "rsa-2"})
    assert status(api, token) == 401
    jwks.document = {"keys": [*jwks.document["keys"], jwk(rotated, "rsa-2")]}
    time.sleep(1.2)  # past the 1 s refresh interval and the unknown-kid cooldown
    assert status(api, token) == 404


def test_a_jwks_file_verifies_too(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk(EC_KEY, "ec-1")]}))
    container = build(production(settings, jwks_file=path))
    register(container.eenplan)
    with TestClient(create_app(container)) as client:
        good = jwt.encode(claims(), EC_KEY, algorithm="ES256", headers={"kid": "ec-1"})
        bad = jwt.encode(claims(aud="x"), EC_KEY, algorithm="ES256", headers={"kid": "ec-1"})
        assert (status(client, good), status(client, bad)) == (404, 401)


def test_production_without_any_key_source_does_not_start(settings: Settings) -> None:
    with pytest.raises(ValueError, match="EENPLAN_JWKS_URL"):
        Settings(**{**settings.model_dump(), "mode": "production", "jwt_issuer": ISSUER})
