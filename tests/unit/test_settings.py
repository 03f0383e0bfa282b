"""Settings are validated when they are read, in memory: a bad value stops start-up, not a request."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from eenplan.api.settings import Settings


def test_unknown_telemetry_exporters_are_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="unknown telemetry exporters"):
        Settings(telemetry_exporters="prometheus,zipkin")


def test_known_telemetry_exporters_are_read_as_a_set_with_blanks_ignored() -> None:
    assert Settings(telemetry_exporters=" otlp, prometheus,,console ").exporters == {
        "otlp",
        "prometheus",
        "console",
    }
    assert Settings(telemetry_exporters="").exporters == set()
