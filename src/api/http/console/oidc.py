"""Sign-in through the organisation's OpenID Connect provider: authorization code with PKCE (S256).

`OidcClient.begin()` makes the state, nonce and code verifier the session keeps and the address to
send the browser to; `finish()` trades the code for tokens at the provider's token endpoint (with
the verifier), verifies the id_token's signature against the provider's JWKS (the API's
`JwksSource`, so keys are cached and rotated the same way), its issuer, audience, expiry and
nonce, and maps its claims to an `Actor` exactly as the API maps a bearer token's.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

import jwt

from eenplan.api.http.auth import AuthError, JwksSource, actor_from_claims, algorithm_of
from eenplan.api.http.console.session import Login
from eenplan.api.settings import Settings
from eenplan.domain.context import Actor

TIMEOUT_SECONDS = 10


class SignInError(Exception):
    """The provider's answer does not complete a sign-in (a wrong state is the caller's: 400)."""

    def __init__(self, detail: str, status: int = 401) -> None:
        super().__init__(detail)
        self.status = status


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks: JwksSource


def challenge(verifier: str) -> str:
    """RFC 7636 S256: BASE64URL(SHA256(verifier)), unpadded."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


class OidcClient:
    def __init__(self, settings: Settings) -> None:
        assert settings.console_oidc_issuer and settings.console_oidc_client_id
        self.settings = settings
        self.issuer = settings.console_oidc_issuer.rstrip("/")
        self.client_id = settings.console_oidc_client_id
        self._provider: Provider | None = None
        self._lock = threading.Lock()

    def provider(self) -> Provider:
        """The discovery document, read once per process (its JWKS refreshes by itself)."""
        with self._lock:
            if self._provider is None:
                found = _get_json(f"{self.issuer}/.well-known/openid-configuration")
                if str(found.get("issuer", "")).rstrip("/") != self.issuer:
                    raise SignInError("the provider's discovery document names another issuer", 502)
                keys = self.settings.model_copy(update={"jwks_url": found["jwks_uri"], "jwks_file": None})
                endpoints = found["authorization_endpoint"], found["token_endpoint"]
                self._provider = Provider(found["issuer"], *endpoints, JwksSource(keys))
            return self._provider

    def begin(self, redirect_uri: str) -> tuple[Login, str]:
        login = Login(
            state=secrets.token_urlsafe(24),
            nonce=secrets.token_urlsafe(24),
            verifier=secrets.token_urlsafe(48),  # 64 characters: within RFC 7636's 43 to 128
            started=time.time(),
        )
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "scope": self.settings.console_oidc_scopes,
                "state": login.state,
                "nonce": login.nonce,
                "code_challenge": challenge(login.verifier),
                "code_challenge_method": "S256",
            }
        )
        return login, f"{self.provider().authorization_endpoint}?{query}"

    def finish(self, login: Login, code: str, redirect_uri: str) -> Actor:
        provider = self.provider()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": self.client_id,
            "code_verifier": login.verifier,
        }
        secret = self.settings.console_oidc_client_secret
        if secret is not None:
            form["client_secret"] = secret.get_secret_value()
        tokens = _post_form(provider.token_endpoint, form)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise SignInError("the provider's token answer holds no id_token")
        return self.verify(provider, id_token, login.nonce)

    def verify(self, provider: Provider, id_token: str, nonce: str) -> Actor:
        try:
            header = jwt.get_unverified_header(id_token)
            key = provider.jwks.key(str(header.get("kid")))
            if key is None or header.get("alg") != algorithm_of(key):
                raise SignInError("the id_token is not signed by a key of the provider")
            claims = jwt.decode(
                id_token,
                key,
                algorithms=list(self.settings.jwt_algorithms),
                audience=self.client_id,
                issuer=provider.issuer,
                leeway=self.settings.jwt_leeway_seconds,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]},
            )
        except (jwt.PyJWTError, TypeError, ValueError) as e:
            raise SignInError(f"the id_token does not verify: {e}") from None
        if not secrets.compare_digest(str(claims["nonce"]), nonce):
            raise SignInError("the id_token's nonce is not the one this sign-in sent")
        try:
            return actor_from_claims(claims)
        except AuthError as e:
            raise SignInError(str(e)) from None


def _get_json(url: str) -> dict[str, Any]:
    _check_scheme(url)
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310 (scheme checked)
            found: dict[str, Any] = json.loads(answer.read())
            return found
    except (OSError, ValueError) as e:
        raise SignInError(f"the sign-in provider cannot be reached: {e}", 502) from None


def _post_form(url: str, form: dict[str, str]) -> dict[str, Any]:
    _check_scheme(url)
    body = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(  # noqa: S310 (scheme checked)
        url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
            found: dict[str, Any] = json.loads(answer.read())
            return found
    except urllib.error.HTTPError as e:
        raise SignInError(f"the provider refused the code ({e.code})") from None
    except (OSError, ValueError) as e:
        raise SignInError(f"the sign-in provider cannot be reached: {e}", 502) from None


def _check_scheme(url: str) -> None:
    if not url.startswith(("https://", "http://")):
        raise SignInError("the provider's endpoints must be http(s) URLs", 502)
