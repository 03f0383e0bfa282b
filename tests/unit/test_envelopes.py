"""Envelopes in memory: what a value is bound to, what reads as erased, what is an integrity failure."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from eenplan.domain.errors import RecordIntegrityError
from eenplan.domain.plan.personal import ERASED
from eenplan.privacy.keys import ENVELOPE, Keyring
from eenplan.privacy.store import PrivacyStore

BOUND = {"type": "eenplan.domain.plan.events:NoteAdded", "record": "p1", "version": 3, "category": "health"}


def keyring(master: bytes = b"m" * 32, store: PrivacyStore | None = None) -> Keyring:
    store = store or PrivacyStore.for_recorder(object())
    store.create_tables()
    return Keyring(store, master)


def test_a_value_opens_only_under_the_context_it_was_bound_to() -> None:
    ring = keyring()
    envelope = ring.encrypt("p1", "slaapt slecht", BOUND)
    assert ring.decrypt(envelope, ERASED, BOUND) == "slaapt slecht"
    for changed in ({"category": "safety"}, {"version": 4}, {"record": "p2"}, {"type": "x:AddressChanged"}):
        with pytest.raises(RecordIntegrityError, match="does not open"):
            ring.decrypt(envelope, ERASED, {**BOUND, **changed})


def test_a_changed_ciphertext_is_an_integrity_failure_not_an_erased_value() -> None:
    ring = keyring()
    envelope = ring.encrypt("p1", "slaapt slecht", BOUND)
    sealed = bytearray(base64.b64decode(envelope["c"]))
    sealed[-1] ^= 0x80
    with pytest.raises(RecordIntegrityError):
        ring.decrypt({**envelope, "c": base64.b64encode(bytes(sealed)).decode()}, ERASED, BOUND)


def test_only_a_destroyed_key_reads_as_erased() -> None:
    ring = keyring()
    envelope = ring.encrypt("p1", "slaapt slecht", BOUND)
    ring.destroy(["p1"])
    assert ring.decrypt(envelope, ERASED, BOUND) == ERASED
    assert ring.encrypt("p1", "nieuw", BOUND) == {ENVELOPE: "p1", "v": 2, "erased": True}


def test_an_erased_marker_in_place_of_a_value_whose_key_lives_is_an_integrity_failure() -> None:
    ring = keyring()
    ring.encrypt("p1", "slaapt slecht", BOUND)
    with pytest.raises(RecordIntegrityError, match="marked erased while its key is live"):
        ring.decrypt({ENVELOPE: "p1", "v": 2, "erased": True}, ERASED, BOUND)


def test_a_value_whose_key_row_is_gone_is_an_integrity_failure() -> None:
    ring = keyring()
    envelope = ring.encrypt("p1", "slaapt slecht", BOUND)
    ring.store.execute("DELETE FROM privacy_keys WHERE key_id = ?", ("p1",))
    fresh = Keyring(ring.store, b"m" * 32)  # another process: nothing cached
    with pytest.raises(RecordIntegrityError, match="missing from privacy_keys"):
        fresh.decrypt(envelope, ERASED, BOUND)


def test_keys_wrapped_under_another_master_key_do_not_open_quietly() -> None:
    ring = keyring()
    envelope = ring.encrypt("p1", "slaapt slecht", BOUND)
    other = Keyring(ring.store, b"o" * 32)
    with pytest.raises(RecordIntegrityError, match="does not unwrap"):
        other.decrypt(envelope, ERASED, BOUND)


def test_an_envelope_written_before_the_binding_still_opens() -> None:
    """Version 1: AES-GCM with the key id alone as associated data, no "v" in the envelope."""
    ring = keyring()
    key = ring.key("p1", create=True)
    assert key is not None
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, json.dumps("oude notitie").encode(), b"p1")
    old: dict[str, Any] = {
        ENVELOPE: "p1",
        "n": base64.b64encode(nonce).decode(),
        "c": base64.b64encode(sealed).decode(),
    }
    assert ring.decrypt(old, ERASED, BOUND) == "oude notitie"
    assert ring.decrypt(old, ERASED, {**BOUND, "category": "safety"}) == "oude notitie"  # no binding then
