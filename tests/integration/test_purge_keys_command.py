"""`eenplan purge-keys` deletes expired idempotency keys from the store's database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from eenplan.api.settings import Settings
from eenplan.api.store.idempotency_keys import build_keystore

EENPLAN = Path(sys.executable).parent / "eenplan"


def test_the_purge_command_deletes_expired_keys_and_keeps_live_ones(settings: Settings) -> None:
    store = build_keystore(settings)
    try:
        store.claim("live", "print", 0)
        store.ttl_seconds = -1  # claimed already expired
        store.claim("expired", "print", 0)
    finally:
        store.close()
    env = {
        **os.environ,
        "EENPLAN_DATABASE_URL": settings.database_url,
        "EENPLAN_DATA_DIR": str(settings.data_dir),
    }
    done = subprocess.run([str(EENPLAN), "purge-keys"], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "purged 1 expired idempotency keys"
    store = build_keystore(settings)
    try:
        assert store.get("live") is not None and store.get("expired") is None
    finally:
        store.close()
