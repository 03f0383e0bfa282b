"""The console in production mode: no development sign-in, the cookie only over HTTPS (Secure)."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm
from pydantic import SecretStr

from eenplan.api.bootstrap import build
from eenplan.api.http.app import create_app
from eenplan.api.settings import Settings
from tests.integration.test_token_matrix import production


def _production(settings: Settings, tmp_path: Path, **more: object) -> Settings:
    jwk = json.loads(ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()).public_key()))
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [{**jwk, "kid": "idp-1"}]}))
    return production(settings, jwks_file=path, signal_key=SecretStr("a-real-signal-key"), **more)


def test_production_offers_no_development_sign_in_and_sets_a_secure_cookie(
    settings: Settings, tmp_path: Path
) -> None:
    container = build(_production(settings, tmp_path))
    with TestClient(create_app(container), base_url="https://eenplan.example") as client:
        page = client.get("/console/aanmelden")
        assert page.status_code == 200
        assert "aanmelden/ontwikkeling" not in page.text and "EENPLAN_CONSOLE_OIDC_ISSUER" in page.text
        assert "secure" in page.headers["set-cookie"].lower()
        form = {"sub": "x", "org": "y", "tenant": "GM0687", "role": "auditor"}
        assert client.post("/console/aanmelden/ontwikkeling", data=form).status_code == 404


def test_production_with_a_provider_offers_it(settings: Settings, tmp_path: Path) -> None:
    configured = _production(
        settings, tmp_path, console_oidc_issuer="https://idp.example", console_oidc_client_id="console"
    )
    with TestClient(create_app(build(configured)), base_url="https://eenplan.example") as client:
        page = client.get("/console/aanmelden")
        assert 'href="/console/oidc/begin"' in page.text and "aanmelden/ontwikkeling" not in page.text
