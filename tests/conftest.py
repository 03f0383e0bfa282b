"""Fixtures shared by every layer of tests.

The store under test is chosen by `EENPLAN_TEST_STORE`: `sqlite` (the default)
or `postgres`, with `EENPLAN_TEST_POSTGRES_URL` pointing at a throwaway server
(`./ops/test` starts one). On PostgreSQL every test gets a fresh database, so
tests never see each other's events. Nothing here mocks a database.
"""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from hypothesis import settings as hypothesis_settings

from eenplan.api.settings import Settings

STORE = os.environ.get("EENPLAN_TEST_STORE", "sqlite")
POSTGRES_URL = os.environ.get("EENPLAN_TEST_POSTGRES_URL", "")

# Property tests run as many examples as the hypothesis profile says, unless they set their own:
# "ci" (chosen when CI=true) the full 2,000, "dev" (any other run) 500, for a quicker turn-around.
# HYPOTHESIS_PROFILE=ci gives a developer the full run.
hypothesis_settings.register_profile("ci", max_examples=2000)
hypothesis_settings.register_profile("dev", max_examples=500)
_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _CI else "dev"))


def full_size(ci: int, dev: int) -> int:
    """A load test's size: `ci` under the "ci" profile (as CI runs it), `dev` in a developer run."""
    return ci if hypothesis_settings.get_current_profile_name() == "ci" else dev


def pytest_report_header() -> str:
    profile = hypothesis_settings.get_current_profile_name()
    return f"eenplan store under test: {STORE}; hypothesis profile: {profile}"


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"stopped by signal {signum}")


def pytest_configure(config: pytest.Config) -> None:
    # SIGTERM (ops/test stopping a run, CI cancelling a job) ends the run as Ctrl-C does: the
    # fixtures' teardown stops the servers and workers they started, instead of orphaning them.
    signal.signal(signal.SIGTERM, _stop)
    if STORE == "postgres" and not POSTGRES_URL:
        raise pytest.UsageError("EENPLAN_TEST_STORE=postgres needs EENPLAN_TEST_POSTGRES_URL")
    if STORE not in ("sqlite", "postgres"):
        raise pytest.UsageError("EENPLAN_TEST_STORE is sqlite or postgres")


UNIT = Path(__file__).resolve().parent / "unit"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """EENPLAN_TEST_SKIP_UNIT=1 leaves out tests/unit: they touch no store, so `./ops/test` runs
    them in its SQLite run only. A selection of unit tests alone still runs (nothing to skip to)."""
    if not os.environ.get("EENPLAN_TEST_SKIP_UNIT"):
        return
    unit = [item for item in items if item.path.is_relative_to(UNIT)]
    if unit and len(unit) < len(items):
        config.hook.pytest_deselected(items=unit)
        items[:] = [item for item in items if not item.path.is_relative_to(UNIT)]


def _server_url(dbname: str) -> str:
    base, _, _ = POSTGRES_URL.rpartition("/")
    return f"{base}/{dbname}"


@contextmanager
def fresh_store(directory: Path) -> Iterator[str]:
    """A new, empty store: a SQLite file in `directory`, or a PostgreSQL database dropped after."""
    if STORE == "sqlite":
        yield f"sqlite:///{directory / 'eenplan.db'}"
        return
    dbname = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')
    try:
        yield _server_url(dbname)
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store for one test: a SQLite file, or a new PostgreSQL database."""
    with fresh_store(tmp_path) as url:
        yield url


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """The test's store: a fresh, empty one; with the `shared_store` marker, the run's shared store
    (and in e2e its one server), for tests that make their own ids and count only what they made."""
    if request.node.get_closest_marker("shared_store"):
        shared: Settings = request.getfixturevalue("shared_settings")
        return shared
    database_url = request.getfixturevalue("database_url")
    return Settings(database_url=database_url, data_dir=tmp_path / "data", log_json=True)


@pytest.fixture(scope="session")
def shared_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """One store for the whole run, for tests that do not need an empty one (see `shared_server`)."""
    directory = tmp_path_factory.mktemp("shared")
    with fresh_store(directory) as url:
        yield Settings(database_url=url, data_dir=directory / "data", log_json=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failing test that ran projection workers shows their logs (see `tests.processes`)."""
    outcome = yield
    report = outcome.get_result()
    settings = getattr(item, "funcargs", {}).get("settings")
    if report.failed and isinstance(settings, Settings):
        from tests.processes import worker_logs

        for name, text in worker_logs(settings.data_dir):
            report.sections.append((f"Captured {name}", text))
