"""Bearer tokens: who is calling, for which organisation, tenants and roles.

Production verifies RS256/ES256 signatures against configured public keys (a
JWKS file or URL, or one PEM file), with issuer, audience and expiry; the
algorithms are pinned, so `alg: none` and HS256 never verify. Development mode also trusts tokens signed by a
development key kept in the data directory, so `eenplan token` and `eenplan
serve` agree whenever their settings do. Production refuses that key.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import urllib.request
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from eenplan.api.settings import Settings
from eenplan.domain.context import Actor
from eenplan.domain.values import Role

DEV_KID = "eenplan-dev"
KNOWN_ROLES = frozenset(r.value for r in Role)


class AuthError(Exception):
    """No token, or one that does not verify, or whose `claim` the directory does not bear out (HTTP 401)."""

    def __init__(self, detail: str, claim: str | None = None) -> None:
        super().__init__(detail)
        self.claim = claim


class DevelopmentKeyInProductionError(RuntimeError):
    pass


def dev_private_key(settings: Settings) -> ec.EllipticCurvePrivateKey:
    """The development signing key; created on first use, readable by its owner only."""
    path = settings.dev_signing_key_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _publish_once(path, pem)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(loaded, ec.EllipticCurvePrivateKey)
    return loaded


def _publish_once(path: Path, content: bytes) -> None:
    """Write a whole file under `path` unless one is there: `serve` and `token` may race to create it.

    Written aside, then hard-linked into place, so no reader ever sees half a key and
    the first writer wins; the others read the winner's key.
    """
    aside = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        with contextlib.suppress(FileExistsError):
            os.link(aside, path)
    finally:
        aside.unlink()


def mint_dev_token(
    settings: Settings,
    *,
    sub: str,
    org: str,
    tenants: list[str],
    roles: list[str],
    ttl_seconds: int = 8 * 3600,
) -> str:
    """A development token, as `eenplan token` prints it."""
    now = int(time.time())
    claims = {
        "sub": sub,
        "org": org,
        "tenants": tenants,
        "roles": roles,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, dev_private_key(settings), algorithm="ES256", headers={"kid": DEV_KID})


def _public_pem(key: Any) -> bytes:
    pem: bytes = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem


def _load_public_key(path: Path) -> Any:
    data = path.read_bytes()
    if b"PRIVATE KEY" in data:
        return serialization.load_pem_private_key(data, password=None).public_key()
    return serialization.load_pem_public_key(data)


# Asymmetric key types only: a symmetric ("oct") key in a JWKS would let HS256 in.
JWKS_KEY_TYPES = frozenset({"RSA", "EC"})
# An unknown kid may mean the provider rotated its keys; re-fetch, but not more often than this.
JWKS_UNKNOWN_KID_COOLDOWN_SECONDS = 10.0


class JwksSource:
    """Signing keys by kid from a JWKS file or URL; a URL's keys are cached and refreshed."""

    def __init__(self, settings: Settings) -> None:
        self.file, self.url = settings.jwks_file, settings.jwks_url
        self.refresh_seconds = settings.jwks_refresh_seconds
        self.keys: dict[str, Any] = {}
        self.fetched_at = float("-inf")
        self.lock = threading.Lock()
        self._load()

    def key(self, kid: str) -> Any | None:
        age = time.monotonic() - self.fetched_at
        if self.url and (age > self.refresh_seconds or (kid not in self.keys and age > self._cooldown)):
            with self.lock:
                try:
                    self._load()
                except (OSError, ValueError, jwt.PyJWTError):
                    return None  # no keys at all yet: every token is refused (401), none crashes
        return self.keys.get(kid)

    @property
    def _cooldown(self) -> float:
        return min(JWKS_UNKNOWN_KID_COOLDOWN_SECONDS, self.refresh_seconds)

    def _load(self) -> None:
        try:
            document = self._read()
        except (OSError, ValueError):
            # Keep the last good keys: a provider hiccup must not lock everyone out.
            if not self.keys:
                raise
            return
        finally:
            self.fetched_at = time.monotonic()
        self.keys = _jwks_keys(document)

    def _read(self) -> dict[str, Any]:
        if self.file is not None:
            document: dict[str, Any] = json.loads(self.file.read_text())
            return document
        assert self.url is not None
        if not self.url.startswith(("https://", "http://")):
            raise ValueError("EENPLAN_JWKS_URL must be an http(s) URL")
        with urllib.request.urlopen(self.url, timeout=5) as response:  # noqa: S310 (scheme checked above)
            fetched: dict[str, Any] = json.loads(response.read())
            return fetched


def _jwks_keys(document: dict[str, Any]) -> dict[str, Any]:
    keys: dict[str, Any] = {}
    for entry in document.get("keys", []):
        if entry.get("kty") not in JWKS_KEY_TYPES or entry.get("use", "sig") != "sig" or not entry.get("kid"):
            continue
        keys[entry["kid"]] = jwt.PyJWK.from_dict(entry).key
    return keys


@dataclass(frozen=True)
class Session:
    """A verified token: who calls, and until when (epoch seconds, leeway included)."""

    actor: Actor
    expires_at: float


# Verified tokens kept per process, so a client's every request does not verify its signature
# again: for at most VERIFIED_SECONDS (a key withdrawn from the JWKS stops counting within it, as a
# JWKS refresh would), never past the token's own expiry, VERIFIED_KEPT tokens at most.
VERIFIED_SECONDS = 60.0
VERIFIED_KEPT = 10_000


@dataclass
class TokenVerifier:
    keys: dict[str, Any]
    settings: Settings
    jwks: JwksSource | None = None
    _verified: OrderedDict[str, tuple[float, Session]] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenVerifier:
        keys: dict[str, Any] = {}
        if settings.jwt_public_key_file is not None:
            keys["configured"] = _load_public_key(settings.jwt_public_key_file)
        jwks = JwksSource(settings) if settings.jwks_file or settings.jwks_url else None
        if settings.is_production:
            _refuse_dev_key(settings, [*keys.values(), *(jwks.keys.values() if jwks else [])])
        else:
            keys[DEV_KID] = dev_private_key(settings).public_key()
        return cls(keys, settings, jwks)

    def verify(self, token: str) -> Actor:
        return self.session(token).actor

    def session(self, token: str) -> Session:
        """The verified caller and the moment the token stops being valid."""
        now = time.time()
        with self._lock:
            kept = self._verified.get(token)
            if kept is not None and now < kept[0]:
                self._verified.move_to_end(token)
                return kept[1]
        session = self._verify(token)
        with self._lock:
            self._verified[token] = (min(now + VERIFIED_SECONDS, session.expires_at), session)
            while len(self._verified) > VERIFIED_KEPT:
                self._verified.popitem(last=False)
        return session

    def _verify(self, token: str) -> Session:
        try:
            header = jwt.get_unverified_header(token)
            key = self._key_for(header.get("kid"))
            if header.get("alg") != algorithm_of(key):
                raise AuthError("the token's algorithm does not match its key")
            claims = jwt.decode(
                token,
                key,
                algorithms=list(self.settings.jwt_algorithms),
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                leeway=self.settings.jwt_leeway_seconds,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except (jwt.PyJWTError, TypeError, ValueError) as e:
            raise AuthError(f"the token does not verify: {e}") from None
        return Session(actor_from_claims(claims), float(claims["exp"]) + self.settings.jwt_leeway_seconds)

    def _key_for(self, kid: str | None) -> Any:
        if kid in self.keys:
            return self.keys[kid]
        if kid is not None and self.jwks is not None:
            key = self.jwks.key(kid)
            if key is not None:
                return key
        configured = self.keys.get("configured")
        if configured is not None and kid is None:
            return configured
        raise AuthError("the token's key id is not known")


def algorithm_of(key: Any) -> str | None:
    """The one algorithm a key signs with here: RS256 for RSA, ES256 for P-256."""
    if isinstance(key, rsa.RSAPublicKey):
        return "RS256"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ES256"
    return None


def _refuse_dev_key(settings: Settings, keys: list[Any]) -> None:
    dev_file = settings.dev_signing_key_file
    if not dev_file.exists():
        return
    dev_pem = _public_pem(_load_public_key(dev_file))
    if any(_public_pem(key) == dev_pem for key in keys):
        raise DevelopmentKeyInProductionError("production mode refuses the development signing key")


def actor_from_claims(claims: dict[str, Any]) -> Actor:
    org, tenants, roles = claims.get("org"), claims.get("tenants"), claims.get("roles")
    if not isinstance(org, str) or not org:
        raise AuthError("the token has no organisation (org)")
    if not isinstance(tenants, list) or not all(isinstance(t, str) for t in tenants):
        raise AuthError("the token's tenants must be a list of municipality codes")
    if not isinstance(roles, list) or not set(roles) <= KNOWN_ROLES:
        raise AuthError(f"the token's roles must be a subset of {sorted(KNOWN_ROLES)}")
    return Actor(sub=str(claims["sub"]), org=org, roles=frozenset(roles), tenants=frozenset(tenants))
