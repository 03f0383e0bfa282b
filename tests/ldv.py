"""Reading processing-log lines in tests: the LDV fields and NEN 7513 attributes they carry."""

from __future__ import annotations

from typing import Any


def control(line: dict[str, Any], name: str = "response") -> dict[str, Any]:
    """One of the line's NEN 7513 `controles`, by name (`response`, `idempotency`); {} if absent."""
    found = [c for c in line["attributes"]["dpl.nen7513.controles"] if c["controle"] == name]
    return found[0] if found else {}


def reason(line: dict[str, Any]) -> str | None:
    """The problem type a refused or failed attempt got; None for a success."""
    found: str | None = control(line).get("reason")
    return found


def activity(line: dict[str, Any]) -> str:
    """The processing activity's id: the last segment of `dpl.core.processing_activity_id`."""
    return str(line["attributes"]["dpl.core.processing_activity_id"]).rsplit("/", 1)[-1]


def record_id(line: dict[str, Any]) -> str:
    """The plan or record the line is about (the NEN 7513 participant that is no person)."""
    (record,) = [
        p for p in line["attributes"]["dpl.nen7513.participants"] if p["participantObjectTypeCode"] == "2"
    ]
    return str(record["participantObjectID"])
