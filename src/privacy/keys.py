"""Per-subject data keys, envelope-encrypted under the master key, and AES-GCM on one value.

Every household plan has a household key (id: the plan id) and a key per member
(id: `plan id:member id`); a help request and a signal file have a key of their own
(their aggregate id). Data keys are stored wrapped (AES-GCM under a key derived from
the master key) in `privacy_keys`. Destroying a key leaves a tombstone row without
key material, so nothing can ever again encrypt to, or decrypt from, that id: the
values under it are erased (crypto-shredding).

Envelopes are versioned. Version 2 (`"v": 2`) authenticates, as AES-GCM associated
data, the context the caller binds to the value (the mapper binds the event type,
the record, the data subject and the category), so a value moved to another record
or a category changed in the database no longer opens. Envelopes written before
(no `"v"`) bind only their key id, and still open.

A value that does not open is never shown as erased: that is an integrity failure
(`RecordIntegrityError`), counted in the metric `eenplan.privacy.integrity_failures`.
Only a destroyed key reads as erased.

Unwrapped keys are cached per process (LRU, `cache_size` of them), and trusted only while the
key generation in the store (`privacy_key_generation`, one more with every destruction, in
its transaction) is what the process last read. A unit of work (`fresh_keys()`: a request, or
one event encoded or decoded) reads the generation once, at its first use of a cached key; when
it moved, the process drops what it cached. So once an erasure has answered, no unit that
begins afterwards, in any process, opens a value with a key it destroyed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from opentelemetry import metrics

from eenplan.domain.errors import RecordIntegrityError
from eenplan.privacy.store import PrivacyStore

ENVELOPE = "$enc"
VERSION = 2
CACHE_SIZE = 10_000
Binding = dict[str, Any]
log = structlog.get_logger("eenplan.privacy")
INTEGRITY_FAILURES = metrics.get_meter("eenplan").create_counter(
    "eenplan.privacy.integrity_failures",
    unit="{value}",
    description="Encrypted values that did not open (altered, or their key missing or wrong), by reason",
)


def derive(master_key: bytes, purpose: str) -> bytes:
    """A sub-key for one purpose, so the master key itself never encrypts data."""
    return hmac.new(master_key, f"eenplan/{purpose}".encode(), hashlib.sha256).digest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def associated_data(envelope: dict[str, Any], key_id: str, binding: Binding) -> bytes:
    """What AES-GCM authenticates besides the value: the key id, and for version 2 the binding."""
    if envelope.get("v") != VERSION:
        return key_id.encode()  # envelopes written before the binding
    context = json.dumps({"key": key_id, **binding}, sort_keys=True, separators=(",", ":"), default=str)
    return b"eenplan.envelope.v2\n" + context.encode()


@dataclass
class _Unit:
    """One unit of work: the key generation it read, once (None until its first cached key)."""

    generation: int | None = None


_unit: ContextVar[_Unit | None] = ContextVar("eenplan_keys_unit", default=None)


@contextmanager
def fresh_keys() -> Iterator[None]:
    """A unit of work that reads the key generation at most once; inside another, that one."""
    if _unit.get() is not None:
        yield
        return
    token = _unit.set(_Unit())
    try:
        yield
    finally:
        _unit.reset(token)


class Keyring:
    def __init__(self, store: PrivacyStore, master_key: bytes, cache_size: int = CACHE_SIZE) -> None:
        if len(master_key) < 32:
            raise ValueError("the master key needs at least 32 bytes")
        self.store = store
        self._wrapping = AESGCM(derive(master_key, "key-wrapping"))
        self.cache_size = cache_size
        # key id -> (the generation it was read under, the key or None when destroyed)
        self._cache: OrderedDict[str, tuple[int, bytes | None]] = OrderedDict()
        self._generation = -1  # the highest this process has read; its cache holds nothing older
        self._lock = threading.Lock()
        # Called when this process learns that keys were destroyed: whatever it holds decrypted
        # (cached aggregates, cached plan states) may hold values those keys opened.
        self.on_destroyed: list[Callable[[], None]] = []

    # --- values -----------------------------------------------------------------------

    def encrypt(self, key_id: str, value: Any, binding: Binding | None = None) -> Any:
        """The envelope for one JSON value, bound to `binding`; a destroyed key stores the erased marker."""
        key = self.key(key_id, create=True)
        if key is None:
            return {ENVELOPE: key_id, "v": VERSION, "erased": True}
        envelope: dict[str, Any] = {ENVELOPE: key_id, "v": VERSION}
        nonce = os.urandom(12)
        plain = json.dumps(value).encode()
        sealed = AESGCM(key).encrypt(nonce, plain, associated_data(envelope, key_id, binding or {}))
        return {**envelope, "n": b64(nonce), "c": b64(sealed)}

    def decrypt(self, envelope: dict[str, Any], erased: Any, binding: Binding | None = None) -> Any:
        """The value; `erased` when its key was destroyed; RecordIntegrityError when it does not open."""
        key_id = str(envelope.get(ENVELOPE))
        key = self.opening_key(key_id)
        if key is None:
            return erased
        if envelope.get("erased"):
            raise self.integrity_failure(
                key_id, "marked erased while its key is live: the value was replaced"
            )
        try:
            nonce, sealed = base64.b64decode(envelope["n"]), base64.b64decode(envelope["c"])
            plain = AESGCM(key).decrypt(nonce, sealed, associated_data(envelope, key_id, binding or {}))
        except (InvalidTag, KeyError, ValueError, TypeError):
            raise self.integrity_failure(
                key_id, "does not open: the ciphertext, or the context bound to it, was changed"
            ) from None
        return json.loads(plain)

    def integrity_failure(self, key_id: str, reason: str) -> RecordIntegrityError:
        """Count and log a value that did not open; the caller raises the error returned."""
        INTEGRITY_FAILURES.add(1, {"reason": reason.split(":", 1)[0]})
        log.warning("integrity_failure", key_id=key_id, reason=reason)
        return RecordIntegrityError(key_id, None, "an encrypted value", reason)

    # --- keys -------------------------------------------------------------------------

    def opening_key(self, key_id: str) -> bytes | None:
        """The key to open a stored value: None when destroyed; a missing row is an integrity failure."""
        generation = self._unit_generation()
        cached = self._cached(key_id, generation)
        if cached is not None:
            return cached[1]
        rows = self.store.query("SELECT wrapped FROM privacy_keys WHERE key_id = ?", (key_id,))
        if not rows:
            # Keys are created before anything is encrypted under them and never deleted (a
            # destroyed key stays as a tombstone): a value without its key row means the key
            # table was altered or restored apart from the events.
            raise self.integrity_failure(
                key_id, "its data key is missing from privacy_keys: the key table was altered"
            )
        return self._remembered(key_id, rows[0]["wrapped"], generation)

    def key(self, key_id: str, *, create: bool) -> bytes | None:
        """The live key (created when asked and absent), or None when destroyed or never made."""
        generation = self._unit_generation()
        cached = self._cached(key_id, generation)
        if cached is not None:
            return cached[1]
        rows = self.store.query("SELECT wrapped FROM privacy_keys WHERE key_id = ?", (key_id,))
        if not rows and create:
            rows = self._create(key_id)
        if not rows:
            return None  # never created: nothing was ever encrypted under it
        return self._remembered(key_id, rows[0]["wrapped"], generation)

    def _unit_generation(self) -> int:
        """The key generation this unit of work goes by: read once per unit, or per use outside one."""
        unit = _unit.get()
        if unit is None:
            return self._read_generation()
        if unit.generation is None:
            unit.generation = self._read_generation()
        return unit.generation

    def _read_generation(self) -> int:
        rows = self.store.query("SELECT generation FROM privacy_key_generation WHERE id = 1")
        generation = int(rows[0]["generation"]) if rows else 0
        self._advance(generation)
        return generation

    def observe(self, generation: int) -> None:
        """The store's key generation, read by a caller along with its own query."""
        self._advance(generation)

    def _advance(self, generation: int) -> None:
        """Keys were destroyed since this process last looked: forget every key it cached, and
        everything it holds decrypted (`on_destroyed`)."""
        with self._lock:
            moved = generation > self._generation
            if moved:
                self._cache.clear()
                first, self._generation = self._generation < 0, generation
        if moved and not first:
            for forget in self.on_destroyed:
                forget()

    def _cached(self, key_id: str, generation: int) -> tuple[int, bytes | None] | None:
        """A key cached under this generation or a later one; older ones may since be destroyed."""
        with self._lock:
            cached = self._cache.get(key_id)
            if cached is not None and cached[0] >= generation:
                self._cache.move_to_end(key_id)
                return cached
        return None

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

    def _remembered(self, key_id: str, wrapped: str | None, generation: int) -> bytes | None:
        """Unwrap a key read under `generation`, and cache it unless the process has seen a later one."""
        key = self._unwrap(key_id, wrapped)
        self._remember(key_id, key, generation)
        return key

    def _remember(self, key_id: str, key: bytes | None, generation: int) -> None:
        with self._lock:
            if generation < self._generation or self.cache_size <= 0:
                return
            self._cache[key_id] = (generation, key)
            self._cache.move_to_end(key_id)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def _unwrap(self, key_id: str, wrapped: str | None) -> bytes | None:
        if wrapped is None:
            return None
        raw = base64.b64decode(wrapped)
        try:
            return self._wrapping.decrypt(raw[:12], raw[12:], key_id.encode())
        except InvalidTag:
            raise self.integrity_failure(
                key_id, "its data key does not unwrap: another master key, or the key row was changed"
            ) from None

    def destroy(self, key_ids: list[str]) -> str | None:
        """Crypto-shred: replace each key by a tombstone, and move the key generation on, in one
        transaction; every process's next unit of work then drops the keys it cached.

        Returns the PostgreSQL transaction id that did it (None on SQLite). The old row
        versions stay in the store's files until `privacy.scrub` removes them; on PostgreSQL
        that waits until no snapshot older than this transaction remains.
        """
        now = _now()
        with self.store.transaction() as tx:
            tx.execute_many(
                "INSERT INTO privacy_keys (key_id, wrapped, created_at, destroyed_at) VALUES (?, NULL, ?, ?) "
                "ON CONFLICT (key_id) DO UPDATE SET wrapped = NULL, "
                "destroyed_at = COALESCE(privacy_keys.destroyed_at, excluded.destroyed_at)",
                [(key_id, now, now) for key_id in key_ids],
            )
            moved = tx.query(
                "UPDATE privacy_key_generation SET generation = generation + 1 WHERE id = 1 "
                "RETURNING generation"
            )
            postgres = self.store.dialect == "postgres"
            xid = tx.query("SELECT pg_current_xact_id()::text AS xid") if postgres else []
        generation = int(moved[0]["generation"])
        self._advance(generation)
        for key_id in key_ids:
            self._remember(key_id, None, generation)
        return str(xid[0]["xid"]) if xid else None

    def live_member_keys(self, plan_id: str) -> list[str]:
        """The plan's member keys that still hold key material (removed members' too)."""
        rows = self.store.query(
            "SELECT key_id FROM privacy_keys WHERE key_id LIKE ? AND wrapped IS NOT NULL", (f"{plan_id}:%",)
        )
        return [r["key_id"] for r in rows]


def _now() -> str:
    return datetime.now(UTC).isoformat()
