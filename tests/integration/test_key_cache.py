"""Unwrapped data keys cached per process: bounded, and dropped by every process after an erasure."""

from __future__ import annotations

import uuid

from eenplan.api.bootstrap import Container
from eenplan.privacy.keys import Keyring, fresh_keys

MASTER = b"k" * 32


def _keyrings(container: Container, cache_size: int = 100) -> tuple[Keyring, Keyring]:
    """Two processes' keyrings on one store (the container's master key is not needed: new keys)."""
    store = container.privacy.store
    return Keyring(store, MASTER, cache_size), Keyring(store, MASTER, cache_size)


def test_a_key_destroyed_by_another_process_opens_nothing_in_the_next_unit_of_work(
    container: Container,
) -> None:
    here, there = _keyrings(container)
    key_id = f"plan-{uuid.uuid4()}"
    sealed = here.encrypt(key_id, "Ann Jansen")
    with fresh_keys():
        assert there.decrypt(sealed, "[erased]") == "Ann Jansen"  # cached there now
    here.destroy([key_id])
    with fresh_keys():
        assert there.decrypt(sealed, "[erased]") == "[erased]"
    assert there.decrypt(sealed, "[erased]") == "[erased]"  # outside a unit: checked on each use


def test_a_unit_of_work_reads_the_key_generation_once_and_cached_keys_no_more(
    container: Container,
) -> None:
    here, _ = _keyrings(container)
    sealed = [here.encrypt(f"plan-{uuid.uuid4()}", n) for n in range(3)]
    statements: list[str] = []
    query = here.store.query

    def counted(statement: str, params: tuple[object, ...] = ()) -> list[dict[str, object]]:
        statements.append(statement)
        return query(statement, params)

    here.store.query = counted  # type: ignore[method-assign]
    try:
        with fresh_keys():
            assert [here.decrypt(s, None) for s in sealed * 2] == [0, 1, 2] * 2
    finally:
        here.store.query = query  # type: ignore[method-assign]
    assert len(statements) == 1 and "privacy_key_generation" in statements[0]


def test_the_cache_keeps_at_most_its_size_of_keys(container: Container) -> None:
    here, _ = _keyrings(container, cache_size=2)
    for n in range(5):
        here.encrypt(f"plan-{uuid.uuid4()}", n)
    assert len(here._cache) == 2
