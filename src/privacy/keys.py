"""Per-subject data keys, envelope-encrypted under the master key, and AES-GCM on one value.

Every household plan has a household key (id: the plan id) and a key per member
(id: `plan id:member id`). Data keys are stored wrapped (AES-GCM under a key
derived from the master key) in `privacy_keys`. Destroying a key leaves a
tombstone row without key material, so nothing can ever again encrypt to, or
decrypt from, that id: the values under it are erased (crypto-shredding).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import time
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from eenplan.privacy.store import PrivacyStore

ENVELOPE = "$enc"
CACHE_SIZE = 10_000
# How long a process trusts a cached key before asking the table again. Erasure in
# another process is honoured at once anyway (the PersonalDataErased event blanks
# the values); this bounds how long such a process could still decrypt at all.
CACHE_SECONDS = 60.0


def derive(master_key: bytes, purpose: str) -> bytes:
    """A sub-key for one purpose, so the master key itself never encrypts data."""
    return hmac.new(master_key, f"eenplan/{purpose}".encode(), hashlib.sha256).digest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class Keyring:
    def __init__(self, store: PrivacyStore, master_key: bytes) -> None:
        if len(master_key) < 32:
            raise ValueError("the master key needs at least 32 bytes")
        self.store = store
        self._wrapping = AESGCM(derive(master_key, "key-wrapping"))
        self._cache: OrderedDict[str, tuple[float, bytes | None]] = OrderedDict()
        self._lock = threading.Lock()

    # --- values -----------------------------------------------------------------------

    def encrypt(self, key_id: str, value: Any) -> Any:
        """The envelope for one JSON value; a destroyed key stores the erased marker."""
        key = self.key(key_id, create=True)
        if key is None:
            return {ENVELOPE: key_id, "erased": True}
        nonce = os.urandom(12)
        ciphertext = AESGCM(key).encrypt(nonce, json.dumps(value).encode(), key_id.encode())
        return {ENVELOPE: key_id, "n": b64(nonce), "c": b64(ciphertext)}

    def decrypt(self, envelope: dict[str, Any], erased: Any) -> Any:
        key = None if envelope.get("erased") else self.key(envelope[ENVELOPE], create=False)
        if key is None:
            return erased
        try:
            plain = AESGCM(key).decrypt(
                base64.b64decode(envelope["n"]), base64.b64decode(envelope["c"]), envelope[ENVELOPE].encode()
            )
        except InvalidTag:
            return erased
        return json.loads(plain)

    # --- keys -------------------------------------------------------------------------

    def key(self, key_id: str, *, create: bool) -> bytes | None:
        with self._lock:
            cached = self._cache.get(key_id)
            if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
                self._cache.move_to_end(key_id)
                return cached[1]
        rows = self.store.query("SELECT wrapped FROM privacy_keys WHERE key_id = ?", (key_id,))
        if not rows and create:
            rows = self._create(key_id)
        if not rows:
            return None  # never created: nothing was ever encrypted under it
        key = self._unwrap(key_id, rows[0]["wrapped"])
        self._remember(key_id, key)
        return key

    def _create(self, key_id: str) -> list[dict[str, Any]]:
        nonce, key = os.urandom(12), AESGCM.generate_key(bit_length=256)
        wrapped = b64(nonce + self._wrapping.encrypt(nonce, key, key_id.encode()))
        self.store.execute(
            "INSERT INTO privacy_keys (key_id, wrapped, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key_id) DO NOTHING",
            (key_id, wrapped, _now()),
        )
        # Another process may have won the race; its key is the key.
        return self.store.query("SELECT wrapped FROM privacy_keys WHERE key_id = ?", (key_id,))

    def _unwrap(self, key_id: str, wrapped: str | None) -> bytes | None:
        if wrapped is None:
            return None
        raw = base64.b64decode(wrapped)
        return self._wrapping.decrypt(raw[:12], raw[12:], key_id.encode())

    def _remember(self, key_id: str, key: bytes | None) -> None:
        with self._lock:
            self._cache[key_id] = (time.monotonic(), key)
            self._cache.move_to_end(key_id)
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)

    def destroy(self, key_ids: list[str]) -> None:
        """Crypto-shred: replace each key by a tombstone, in this process's cache too."""
        now = _now()
        for key_id in key_ids:
            self.store.execute(
                "INSERT INTO privacy_keys (key_id, wrapped, created_at, destroyed_at) VALUES (?, NULL, ?, ?) "
                "ON CONFLICT (key_id) DO UPDATE SET wrapped = NULL, destroyed_at = excluded.destroyed_at",
                (key_id, now, now),
                secure=True,
            )
            self._remember(key_id, None)
        self.store.scrub_free_space()

    def live_member_keys(self, plan_id: str) -> list[str]:
        rows = self.store.query(
            "SELECT key_id FROM privacy_keys WHERE key_id LIKE ? AND wrapped IS NOT NULL", (f"{plan_id}:%",)
        )
        return [r["key_id"] for r in rows]


def _now() -> str:
    return datetime.now(UTC).isoformat()
