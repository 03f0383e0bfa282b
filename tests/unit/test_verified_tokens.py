"""Verified tokens are kept a short while per process, never past their expiry, and bounded."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import jwt
import pytest

from eenplan.api.http import auth
from eenplan.api.http.auth import AuthError, TokenVerifier, mint_dev_token
from eenplan.api.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url="sqlite:///unused.db", data_dir=tmp_path, jwt_leeway_seconds=0)


def _token(settings: Settings, sub: str = "p-1", ttl: int = 3600) -> str:
    return mint_dev_token(
        settings, sub=sub, org="org-1", tenants=["GM0687"], roles=["professional"], ttl_seconds=ttl
    )


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    decoded: list[str] = []
    real = jwt.decode

    def counted(token: str, *args: Any, **kwargs: Any) -> Any:
        decoded.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(auth.jwt, "decode", counted)
    return decoded


def test_a_token_is_verified_once_and_then_answered_from_what_was_verified(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier, token = TokenVerifier.from_settings(settings), _token(settings)
    decoded = _counting(monkeypatch)
    first, again = verifier.verify(token), verifier.verify(token)
    assert first == again and first.sub == "p-1"
    assert decoded == [token]
    with pytest.raises(AuthError):  # another token, tampered with: verified, and refused
        verifier.verify(token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"))


def test_a_kept_token_is_refused_once_it_expires(settings: Settings) -> None:
    verifier, token = TokenVerifier.from_settings(settings), _token(settings, ttl=1)
    assert verifier.verify(token).sub == "p-1"
    time.sleep(max(0.0, jwt.decode(token, options={"verify_signature": False})["exp"] - time.time()) + 0.1)
    with pytest.raises(AuthError, match="expired"):
        verifier.verify(token)


def test_at_most_so_many_tokens_are_kept(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "VERIFIED_KEPT", 3)
    verifier = TokenVerifier.from_settings(settings)
    tokens = [_token(settings, sub=f"p-{n}") for n in range(5)]
    for token in tokens:
        verifier.verify(token)
    assert list(verifier._verified) == tokens[-3:]
