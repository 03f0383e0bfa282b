"""Shared fixtures for store tests: one container on the store under test, and a world in it.

A module tunes the container by overriding `container_settings`; none of these start the
projection runner (tests catch it up in the foreground, see `projection_helpers.catch_up`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from eenplan.api.bootstrap import Container, build
from eenplan.api.settings import Settings
from tests.factories import World, make_world


@pytest.fixture
def container_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"projections_in_process": False})


@pytest.fixture
def container(container_settings: Settings) -> Iterator[Container]:
    built = build(container_settings)
    yield built
    built.close()


@pytest.fixture
def world(container: Container) -> World:
    return make_world(container.eenplan)
