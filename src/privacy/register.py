"""The register of processing activities (AVG art. 30), versioned, as LDV's Register component.

Every processing-log line points to one activity of one version of this register:
`dpl.core.processing_activity_id` is the URI `{public_url}/privacy/activities/{version}/{id}`.
LDV asks that each relevant change of an activity gets a new identifier, so that the URI names
one unambiguous text: a version, once recorded, keeps its text for good. Each version the server
loads is recorded with its SHA-256 and its source (table `privacy_activity_registers`), so the URIs
of old lines still resolve after the file moved on; a file changed without a new `version` is
refused at start-up.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from eenplan.privacy.store import PrivacyStore

REGISTER_FILE = Path(__file__).with_name("activities.yaml")
PATH = "/privacy/activities"
# Lines written before activity ids were URIs named a bare id; the register then was this version.
LEGACY_VERSION = "2026.1"
TABLE = """CREATE TABLE IF NOT EXISTS privacy_activity_registers (
    version TEXT PRIMARY KEY, sha256 TEXT NOT NULL, source TEXT NOT NULL, first_loaded_at TEXT NOT NULL)"""


class RegisterError(ValueError):
    """The register file cannot be served as it is (changed without a new version, malformed)."""


@dataclass(frozen=True)
class RegisterVersion:
    version: str
    sha256: str
    activities: dict[str, dict[str, Any]]

    @classmethod
    def parse(cls, source: str) -> RegisterVersion:
        document = yaml.safe_load(source)
        if not isinstance(document, dict) or not isinstance(document.get("activities"), dict):
            raise RegisterError("the register needs a `version` and a map of `activities`")
        version = str(document.get("version") or "")
        if not version or "/" in version:
            raise RegisterError("the register's `version` must be a non-empty string without '/'")
        sha = hashlib.sha256(source.encode()).hexdigest()
        return cls(version, sha, {str(k): dict(v) for k, v in document["activities"].items()})


class ActivityRegister:
    """The current register and every version recorded before it, with their stable URIs."""

    def __init__(self, store: PrivacyStore, public_url: str, path: Path = REGISTER_FILE) -> None:
        self.store = store
        self.base = public_url.rstrip("/")
        self.source = path.read_text(encoding="utf-8")
        self.current = RegisterVersion.parse(self.source)

    def record(self) -> None:
        """Remember this version's text the first time it is loaded; refuse a changed text."""
        self.store.execute(TABLE)
        self.store.execute(
            "INSERT INTO privacy_activity_registers (version, sha256, source, first_loaded_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (version) DO NOTHING",
            (self.current.version, self.current.sha256, self.source, datetime.now(UTC).isoformat()),
        )
        kept = self.store.query(
            "SELECT sha256 FROM privacy_activity_registers WHERE version = ?", (self.current.version,)
        )
        if kept and kept[0]["sha256"] != self.current.sha256:
            raise RegisterError(
                f"activities.yaml changed but kept version {self.current.version!r}: give the changed "
                "register a new version, so that processing-log lines keep pointing at what they meant"
            )

    def uri(self, activity_id: str, version: str | None = None) -> str:
        return f"{self.base}{PATH}/{version or self.current.version}/{activity_id}"

    def version_uri(self, version: str) -> str:
        return f"{self.base}{PATH}/{version}"

    def knows(self, activity_id: str) -> bool:
        return activity_id in self.current.activities

    def versions(self) -> list[dict[str, Any]]:
        rows = self.store.query(
            "SELECT version, sha256, first_loaded_at FROM privacy_activity_registers ORDER BY first_loaded_at"
        )
        return [{**row, "uri": self.version_uri(row["version"])} for row in rows]

    def at(self, version: str) -> RegisterVersion | None:
        if version == self.current.version:
            return self.current
        rows = self.store.query("SELECT source FROM privacy_activity_registers WHERE version = ?", (version,))
        return RegisterVersion.parse(rows[0]["source"]) if rows else None

    def describe(self, register: RegisterVersion) -> dict[str, Any]:
        """A version as the API serves it: each activity with its own URI."""
        return {
            "version": register.version,
            "sha256": register.sha256,
            "uri": self.version_uri(register.version),
            "activities": {
                key: {"id": key, "uri": self.uri(key, register.version), **value}
                for key, value in register.activities.items()
            },
        }
