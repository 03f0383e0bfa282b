"""The named metric instruments of eenplan, for everyone to record into.

Instruments come from the global meter "eenplan"; until `api.telemetry.providers.setup` installs a
meter provider they record into nothing, so importing this module is always safe.
Code outside `api` (privacy, projections) cannot import this module; it gets the very same
instrument by name: `opentelemetry.metrics.get_meter("eenplan").create_counter(
"eenplan.processing_log.writes")` (the SDK returns one instrument per name and meter).

Attribute values are command types, outcomes, kinds and tenants (municipality codes): a bounded set,
never ids of people or records, never personal values.
"""

from __future__ import annotations

from collections.abc import Callable

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

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


# Per tenant: (grants awaiting review, of which overdue). Read from the store at each collection.
ReviewCounts = Callable[[], dict[str, tuple[int, int]]]
_review_counts: ReviewCounts | None = None


def watch_emergency_reviews(counts: ReviewCounts) -> None:
    """Gauges of the break-the-glass review queue, by tenant (a municipality code, not a person).

    Registered once per process; a later container (tests build several) replaces the source.
    """
    global _review_counts
    first = _review_counts is None
    _review_counts = counts
    if not first:
        return
    for index, name, what in (
        (0, "reviews_waiting", "break-the-glass grants no privacy officer has reviewed yet"),
        (1, "reviews_overdue", "of those, the ones past the review term (EENPLAN_EMERGENCY_REVIEW_DAYS)"),
    ):
        meter.create_observable_gauge(
            f"eenplan.emergency_access.{name}", callbacks=[_observe(index)], unit="{grant}", description=what
        )


def _observe(index: int) -> Callable[[CallbackOptions], list[Observation]]:
    def observe(options: CallbackOptions) -> list[Observation]:
        try:
            found = _review_counts() if _review_counts is not None else {}
        except Exception:  # noqa: BLE001 - a store outage must not break the metrics endpoint
            return []
        return [Observation(pair[index], {"tenant": tenant}) for tenant, pair in sorted(found.items())]

    return observe
