"""A command's unit of work (api/store/unit.py): what goes through it commits together, or not at all."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError, InternalError

from eenplan.api.bootstrap import Container
from eenplan.api.store import unit as units
from eenplan.domain.values import DataCategory
from tests.conftest import STORE
from tests.factories import make_world


def _datastore(container: Container) -> Any:
    return container.eenplan.factory.datastore  # type: ignore[attr-defined]


def _rows(container: Container, key: str) -> int:
    found = container.privacy.store.query("SELECT COUNT(*) AS n FROM privacy_keys WHERE key_id = ?", (key,))
    return int(found[0]["n"])


def _insert(cursor: Any, container: Container, key: str) -> None:
    sql = "INSERT INTO privacy_keys (key_id, wrapped, created_at) VALUES (?, NULL, 'now')"
    cursor.execute(sql.replace("?", "%s") if container.privacy.store.dialect == "postgres" else sql, (key,))


def test_writes_in_a_unit_are_seen_by_nobody_else_until_it_commits(container: Container) -> None:
    with units.open_unit() as unit:
        unit.activate(_datastore(container))
        with _datastore(container).transaction(commit=True) as cursor:
            _insert(cursor, container, "unit-commit")
        unit.commit()
    assert _rows(container, "unit-commit") == 1

    with units.open_unit() as unit:
        unit.activate(_datastore(container))
        with _datastore(container).transaction(commit=True) as cursor:
            _insert(cursor, container, "unit-rollback")
        # the block ends without a commit, as a refused command's does
    assert _rows(container, "unit-rollback") == 0


def test_a_unit_whose_statement_failed_and_was_caught_refuses_to_commit_rather_than_lose_it(
    container: Container,
) -> None:
    """PostgreSQL answers COMMIT in a failed transaction with a rollback and no error: the unit
    must not report a commit then. SQLite undoes only the failed statement and commits the rest."""
    datastore = _datastore(container)
    with units.open_unit() as unit:
        unit.activate(datastore)
        with datastore.transaction(commit=True) as cursor:
            _insert(cursor, container, "unit-kept")
        with pytest.raises(IntegrityError), datastore.transaction(commit=True) as cursor:
            _insert(cursor, container, "unit-kept")  # the same key again: a constraint fails
        if STORE == "postgres":
            with pytest.raises(InternalError, match="nothing was kept"):
                unit.commit()
        else:
            unit.commit()
    assert _rows(container, "unit-kept") == (0 if STORE == "postgres" else 1)


def _poisoned(container: Container) -> tuple[Any, str, str, int]:
    """A plan whose cached state is one version ahead of the store, as a unit whose COMMIT was
    lost would have left it without the eviction."""
    world = make_world(container.eenplan)
    regisseur = world.pros[world.orgs["welfare"]][0]
    plan_id = world.open(regisseur).plan_id
    world.run(regisseur, plan_id, type="add_note", category="general", text="eerste")
    stored = container.eenplan.repository.get(UUID(plan_id)).version
    return world, regisseur, plan_id, stored


def test_in_a_unit_a_plan_cached_ahead_of_the_store_is_reloaded_not_written_on_with_a_gap(
    container: Container,
) -> None:
    world, regisseur, plan_id, stored = _poisoned(container)
    cached = container.eenplan.repository.cache.get(UUID(plan_id))  # type: ignore[union-attr]
    cached.add_note(world.ctx(regisseur), DataCategory.GENERAL, "nooit bewaard")
    cached.collect_events()
    with units.open_unit() as unit:
        unit.activate(_datastore(container))
        unit.begin()
        world.run(regisseur, plan_id, type="add_note", category="general", text="na de storing")
        unit.commit()
    versions = [e.originator_version for e in container.eenplan.events.get(UUID(plan_id))]
    assert versions == list(range(1, stored + 2))


@pytest.mark.skipif(STORE != "postgres", reason="a COMMIT made to fail by a deferred constraint (PostgreSQL)")
def test_a_unit_whose_commit_fails_takes_what_it_saved_out_of_the_cache(container: Container) -> None:
    world, regisseur, plan_id, stored = _poisoned(container)
    store = container.privacy.store
    store.execute(
        "CREATE TABLE IF NOT EXISTS commit_fails (id int PRIMARY KEY, "
        "ref int REFERENCES commit_fails (id) DEFERRABLE INITIALLY DEFERRED)"
    )
    with units.open_unit() as unit:
        unit.activate(_datastore(container))
        unit.begin()
        world.run(regisseur, plan_id, type="add_note", category="general", text="nooit bewaard")
        with _datastore(container).transaction(commit=True) as cursor:
            cursor.execute("INSERT INTO commit_fails VALUES (1, 2)")  # checked at COMMIT
        with pytest.raises(IntegrityError):
            unit.commit()
    with pytest.raises(KeyError):  # not cached at a version never kept
        container.eenplan.repository.cache.get(UUID(plan_id))  # type: ignore[union-attr]
    world.run(regisseur, plan_id, type="add_note", category="general", text="daarna")
    versions = [e.originator_version for e in container.eenplan.events.get(UUID(plan_id))]
    assert versions == list(range(1, stored + 2))
