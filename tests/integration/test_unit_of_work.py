"""A command's unit of work (api/store/unit.py): what goes through it commits together, or not at all."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, InternalError

from eenplan.api.bootstrap import Container
from eenplan.api.store import unit as units
from tests.conftest import STORE


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
