"""OpenTelemetry set-up: tracer and meter providers, exporters chosen by settings, instrumentation.

Once per process (uvicorn workers are processes, each sets itself up):
- traces: HTTP through the FastAPI instrumentation, SQL through the psycopg instrumentation
  (opt-in: `telemetry_sql_spans`),
  a span per command (`api.telemetry.instrumented`); exported by OTLP/HTTP and/or the console;
- metrics: the named instruments of `api.telemetry.metrics`, plus the HTTP server metrics of the
  FastAPI instrumentation; exported by OTLP/HTTP, the console, and/or as Prometheus text on
  `GET /metrics` (served by the app itself, no second port).

Span attributes carry ids and types, never personal values; the psycopg spans carry SQL text
with placeholders, never the parameters.
"""

from __future__ import annotations

import os
import socket
import sys

from fastapi import FastAPI
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

from eenplan.api.settings import Settings

_prometheus = False
_instrumented_psycopg = False


def setup(settings: Settings) -> None:
    """Install the global tracer and meter providers (first call in a process wins)."""
    # The stable HTTP semantic conventions: `http.server.request.duration` in seconds, with seconds
    # buckets, instead of the old `http.server.duration` in milliseconds, which Prometheus' naming
    # rules (promtool check metrics) refuse. Read once, when the first instrumentation starts.
    os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")
    resource = Resource.create(
        {
            "service.name": "eenplan",
            # One per worker process, so a collector keeps the workers' counters apart.
            "service.instance.id": f"{socket.gethostname()}-{os.getpid()}",
        }
    )
    exporters = settings.exporters
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(_tracer_provider(resource, exporters, settings.otlp_endpoint))
    if not isinstance(metrics.get_meter_provider(), MeterProvider):
        readers = _metric_readers(exporters, settings.otlp_endpoint)
        metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers, views=_views()))
    _instrument_psycopg(settings.telemetry_sql_spans)


def _tracer_provider(resource: Resource, exporters: set[str], endpoint: str | None) -> TracerProvider:
    provider = TracerProvider(resource=resource)
    if "otlp" in exporters:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        url = f"{endpoint.rstrip('/')}/v1/traces" if endpoint else None
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=url)))
    if "console" in exporters:
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
    return provider


def _metric_readers(exporters: set[str], endpoint: str | None) -> list[MetricReader]:
    global _prometheus
    readers: list[MetricReader] = []
    if "prometheus" in exporters:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader

        readers.append(PrometheusMetricReader())
        _prometheus = True
    if "otlp" in exporters:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        url = f"{endpoint.rstrip('/')}/v1/metrics" if endpoint else None
        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=url)))
    if "console" in exporters:
        readers.append(PeriodicExportingMetricReader(ConsoleMetricExporter(out=sys.stderr)))
    return readers


# Durations are in seconds, the base unit Prometheus names them by; the SDK's default buckets
# (0 to 10,000) are made for milliseconds.
SECONDS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def _views() -> list[View]:
    """Seconds buckets for the command duration histogram."""
    seconds = ExplicitBucketHistogramAggregation(boundaries=SECONDS_BUCKETS)
    return [View(instrument_name="eenplan.command.duration", aggregation=seconds)]


def _instrument_psycopg(on: bool) -> None:
    """SQL spans, when asked for (EENPLAN_TELEMETRY_SQL_SPANS): a span per statement costs several
    percent of a command's CPU, so they are for looking into a problem, not for every day."""
    global _instrumented_psycopg
    if on == _instrumented_psycopg:
        return
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    # Wraps psycopg.Connection.connect, which the eventsourcing pool uses: one span per statement.
    # Connections opened before the change keep what they had.
    if on:
        PsycopgInstrumentor().instrument(skip_dep_check=True)
    else:
        PsycopgInstrumentor().uninstrument()
    _instrumented_psycopg = on


def instrument(app: FastAPI) -> None:
    """Server spans from the FastAPI instrumentation (route templates as names, no ids)."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, exclude_spans=["receive", "send"], excluded_urls="/metrics")


def prometheus_enabled() -> bool:
    """Whether this process exports metrics as Prometheus text (EENPLAN_TELEMETRY_EXPORTERS)."""
    return _prometheus
