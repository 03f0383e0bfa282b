"""The console's session: an AES-GCM sealed cookie, readable by every API worker, tamper-evident.

The cookie holds who signed in (the claims an API token would carry), a CSRF token for the
forms, and during sign-in the OpenID Connect state, nonce and PKCE verifier. The key is derived
from the master key, which every worker of one deployment shares; nothing lives in process
memory, so a sign-in on one worker is a sign-in on all.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from eenplan.domain.context import Actor

COOKIE = "eenplan_console"
PATH = "/console"
# A sign-in that is not finished within this time must start again (state, nonce, verifier).
LOGIN_SECONDS = 600
_AAD = b"eenplan-console-session-v1"


@dataclass(frozen=True)
class Person:
    """Who signed in: the claims an API token carries, checked against the directory per request."""

    sub: str
    org: str
    tenants: list[str]
    roles: list[str]

    def actor(self) -> Actor:
        return Actor(sub=self.sub, org=self.org, roles=frozenset(self.roles), tenants=frozenset(self.tenants))

    @classmethod
    def of(cls, actor: Actor) -> Person:
        return cls(actor.sub, actor.org, sorted(actor.tenants), sorted(actor.roles))


@dataclass(frozen=True)
class Login:
    """A sign-in under way at the provider: what its answer must carry back."""

    state: str
    nonce: str
    verifier: str
    started: float


@dataclass(frozen=True)
class Session:
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    person: Person | None = None
    expires: float = 0.0
    login: Login | None = None
    via: str = ""  # "oidc" or "development"

    @property
    def signed_in(self) -> bool:
        return self.person is not None and self.expires > time.time()

    def csrf_matches(self, sent: str | None) -> bool:
        return bool(sent) and hmac.compare_digest(self.csrf.encode(), str(sent).encode())

    def signed_in_as(self, person: Person, hours: float, via: str) -> Session:
        # A new CSRF token at sign-in: one planted before it is worth nothing after.
        return Session(person=person, expires=time.time() + hours * 3600, via=via)

    def starting(self, login: Login) -> Session:
        return replace(self, login=login)


class SessionCodec:
    def __init__(self, key: bytes) -> None:
        self.aead = AESGCM(key[:32])

    def seal(self, session: Session) -> str:
        nonce = secrets.token_bytes(12)
        plain = json.dumps(asdict(session), separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(nonce + self.aead.encrypt(nonce, plain, _AAD)).decode().rstrip("=")

    def open(self, cookie: str | None) -> Session:
        """The session in the cookie; a fresh one for none, a forged, stale or unreadable one."""
        if not cookie:
            return Session()
        try:
            raw = base64.urlsafe_b64decode(cookie + "=" * (-len(cookie) % 4))
            data: dict[str, Any] = json.loads(self.aead.decrypt(raw[:12], raw[12:], _AAD))
            return _session(data)
        except (InvalidTag, ValueError, TypeError, KeyError, binascii.Error):
            return Session()


def _session(data: dict[str, Any]) -> Session:
    person = Person(**data["person"]) if data.get("person") else None
    login = Login(**data["login"]) if data.get("login") else None
    if login is not None and login.started + LOGIN_SECONDS < time.time():
        login = None
    return Session(data["csrf"], person, float(data["expires"]), login, str(data.get("via", "")))
