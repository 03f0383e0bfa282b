"""Where `eenplan serve` runs the projections: in its processes, or left to projection workers."""

from __future__ import annotations

import pytest

from eenplan.api.cli.main import projections_in_api
from eenplan.api.settings import Settings

PG = "postgresql://eenplan@db.example/eenplan"
SQLITE = "sqlite:///./var/eenplan.db"


@pytest.mark.parametrize(
    ("url", "workers", "expected"),
    [(SQLITE, 1, True), (SQLITE, 4, True), (PG, 1, True), (PG, 2, False), (PG, 8, False)],
)
def test_by_default_several_workers_on_postgresql_leave_the_projections_to_projection_workers(
    url: str, workers: int, expected: bool
) -> None:
    assert projections_in_api(Settings(database_url=url), workers, {}) is expected


@pytest.mark.parametrize("value", [True, False])
def test_an_explicit_setting_decides_whatever_the_workers(value: bool) -> None:
    settings = Settings(database_url=PG, projections_in_process=value)
    environ = {"EENPLAN_PROJECTIONS_IN_PROCESS": str(value).lower()}
    assert projections_in_api(settings, 4, environ) is value
    assert projections_in_api(settings.model_copy(update={"database_url": SQLITE}), 1, environ) is value
