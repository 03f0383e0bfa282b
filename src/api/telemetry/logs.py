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
_logging_configured = False


def configure(settings: Settings) -> None:
    """Logs and telemetry providers once per process; SQL spans as the latest settings say."""
    global _configured
    if not _configured:
        _configured = True
        configure_logging(settings)
    telemetry.setup(settings)


def configure_logging(settings: Settings) -> None:
    """structlog for our lines, and the same rendering for the standard library's (uvicorn's, the
    pool's), so the server log is one format: uvicorn's "running on" line included."""
    global _logging_configured
    if _logging_configured:
        return
    _logging_configured = True
    level = logging.getLevelName(settings.log_level.upper())
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)


def tracer() -> trace.Tracer:
    return trace.get_tracer("eenplan")
