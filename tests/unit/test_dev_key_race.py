"""`eenplan serve` and `eenplan token` started together on a fresh data directory agree on one key."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from eenplan.api.http.auth import dev_private_key
from eenplan.api.settings import Settings


def race(settings: Settings, callers: int = 8) -> list[Any]:
    """Every caller asks for the key at the same moment; returns their keys or errors."""
    start = threading.Barrier(callers)
    results: list[Any] = []

    def create() -> None:
        start.wait()
        try:
            results.append(dev_private_key(settings))
        except Exception as error:  # noqa: BLE001 - the failure is what the test looks for
            results.append(error)

    threads = [threading.Thread(target=create) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_callers_racing_to_create_the_development_key_all_get_the_same_key(tmp_path: Path) -> None:
    for attempt in range(20):
        settings = Settings(database_url="sqlite:///unused.db", data_dir=tmp_path / str(attempt))
        results = race(settings)
        assert not [r for r in results if isinstance(r, Exception)], results
        assert len({key.public_key().public_numbers() for key in results}) == 1
        assert [p.name for p in settings.data_dir.iterdir()] == [settings.dev_signing_key_file.name]
