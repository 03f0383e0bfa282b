"""The named metric instruments of eenplan, for everyone to record into.

Instruments come from the global meter "eenplan"; until `api.telemetry.providers.setup` installs a
meter provider they record into nothing, so importing this module is always safe.
Code outside `api` (privacy, projections) cannot import this module; it gets the very same
instrument by name: `opentelemetry.metrics.get_meter("eenplan").create_counter(
"eenplan.processing_log.writes")` (the SDK returns one instrument per name and meter).

Attribute values are command types, outcomes and kinds: a bounded set, never ids or personal values.
"""

from __future__ import annotations

from opentelemetry import metrics

meter = metrics.get_meter("eenplan")

commands = meter.create_counter(
    "eenplan.commands",
    unit="{command}",
    description="Commands handled, by type and outcome (ok or the error kind); rate() gives per second",
)
command_duration = meter.create_histogram(
    "eenplan.command.duration",
    unit="s",
    description="Time to decide and store one command, retries included, by type and outcome",
)
conflicts = meter.create_counter(
    "eenplan.command.conflicts",
    unit="{conflict}",
    description="Saves refused because another writer stored the plan first, by command type",
)
retries = meter.create_counter(
    "eenplan.command.retries",
    unit="{retry}",
    description="Reload-and-retry rounds after a conflict, by command type",
)
processing_log_writes = meter.create_counter(
    "eenplan.processing_log.writes",
    unit="{entry}",
    description="Entries written to the processing log (Logboek Dataverwerkingen)",
)


def processing_log_written(entries: int = 1, kind: str = "entry") -> None:
    """Count processing-log entries; call after they are durably written."""
    processing_log_writes.add(entries, {"kind": kind})
