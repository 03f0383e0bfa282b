"""Structured logs and traces: configured once, joined by the trace id.

Log lines carry the request id, trace id, span id, `sub` and `org`, bound per
request through contextvars. They never carry request bodies or personal values.
"""

from __future__ import annotations

import logging
import sys

import structlog
from opentelemetry import trace

from eenplan.api.settings import Settings
from eenplan.api.telemetry import providers as telemetry

_configured = False


def configure(settings: Settings) -> None:
    global _configured
    if _configured:
        return
    _configured = True
    level = logging.getLevelName(settings.log_level.upper())
    logging.basicConfig(stream=sys.stderr, level=level, format="%(message)s")
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    telemetry.setup(settings)


def tracer() -> trace.Tracer:
    return trace.get_tracer("eenplan")
