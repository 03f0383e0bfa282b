"""Bearer tokens: who is calling, for which organisation, tenants and roles.

Production verifies RS256/ES256 signatures against configured public keys, with
issuer, audience and expiry. Development mode also trusts tokens signed by a
development key kept in the data directory, so `eenplan token` and `eenplan
serve` agree whenever their settings do. Production refuses that key.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from api.settings import Settings
from domain.context import Actor
from domain.values import Role

DEV_KID = "eenplan-dev"
KNOWN_ROLES = frozenset(r.value for r in Role)


class AuthError(Exception):
    """No token, or one that does not verify (HTTP 401)."""


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


@dataclass
class TokenVerifier:
    keys: dict[str, Any]
    settings: Settings

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenVerifier:
        keys: dict[str, Any] = {}
        if settings.jwt_public_key_file is not None:
            keys["configured"] = _load_public_key(settings.jwt_public_key_file)
        if settings.is_production:
            dev_file = settings.dev_signing_key_file
            if dev_file.exists() and _public_pem(keys["configured"]) == _public_pem(
                _load_public_key(dev_file)
            ):
                raise DevelopmentKeyInProductionError("production mode refuses the development signing key")
        else:
            keys[DEV_KID] = dev_private_key(settings).public_key()
        return cls(keys, settings)

    def verify(self, token: str) -> Actor:
        try:
            header = jwt.get_unverified_header(token)
            key = self._key_for(header.get("kid"))
            claims = jwt.decode(
                token,
                key,
                algorithms=list(self.settings.jwt_algorithms),
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                leeway=self.settings.jwt_leeway_seconds,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as e:
            raise AuthError(f"the token does not verify: {e}") from None
        return _actor(claims)

    def _key_for(self, kid: str | None) -> Any:
        if kid in self.keys:
            return self.keys[kid]
        configured = self.keys.get("configured")
        if configured is not None and kid is None:
            return configured
        raise AuthError("the token's key id is not known")


def _actor(claims: dict[str, Any]) -> Actor:
    org, tenants, roles = claims.get("org"), claims.get("tenants"), claims.get("roles")
    if not isinstance(org, str) or not org:
        raise AuthError("the token has no organisation (org)")
    if not isinstance(tenants, list) or not all(isinstance(t, str) for t in tenants):
        raise AuthError("the token's tenants must be a list of municipality codes")
    if not isinstance(roles, list) or not set(roles) <= KNOWN_ROLES:
        raise AuthError(f"the token's roles must be a subset of {sorted(KNOWN_ROLES)}")
    return Actor(sub=str(claims["sub"]), org=org, roles=frozenset(roles), tenants=frozenset(tenants))
