"""The register of processing activities keeps every version it served, and one text per version."""

from __future__ import annotations

from pathlib import Path

import pytest

from eenplan.api.bootstrap import build
from eenplan.api.settings import Settings
from eenplan.privacy.register import ActivityRegister, RegisterError

FIRST = """version: "2030.1"
activities:
  intake: {name: Intake, purpose: Start support, legal_bases: [wmo2015]}
"""
SECOND = """version: "2030.2"
activities:
  intake: {name: Intake and triage, purpose: Start support, legal_bases: [wmo2015, jeugdwet]}
"""


def test_an_older_version_still_resolves_and_a_changed_text_needs_a_new_version(
    settings: Settings, tmp_path: Path
) -> None:
    container = build(settings)
    try:
        store = container.privacy.store
        path = tmp_path / "activities.yaml"
        path.write_text(FIRST)
        ActivityRegister(store, "https://eenplan.example", path).record()
        path.write_text(SECOND)
        register = ActivityRegister(store, "https://eenplan.example", path)
        register.record()

        old = register.at("2030.1")
        assert (
            old is not None and old.activities["intake"]["name"] == "Intake" and register.at("1999") is None
        )
        assert register.uri("intake") == "https://eenplan.example/privacy/activities/2030.2/intake"
        described = register.describe(old)["activities"]["intake"]
        assert described["uri"] == "https://eenplan.example/privacy/activities/2030.1/intake"
        assert {"2030.1", "2030.2"} <= {v["version"] for v in register.versions()}

        path.write_text(SECOND.replace("Intake and triage", "Intake, triage and matching"))
        with pytest.raises(RegisterError, match="new version"):
            ActivityRegister(store, "https://eenplan.example", path).record()
    finally:
        container.close()
