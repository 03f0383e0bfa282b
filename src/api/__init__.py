"""The outer ring: HTTP, the CLI, SQL beside the event store and telemetry, wired by one root.

- `http/`: the FastAPI application, its routes, schemas and wire formats.
- `cli/`: the `eenplan` command and the demo.
- `store/`: SQL beside the event store: chained recorders, idempotency keys, locks, the store gate.
- `telemetry/`: logs, traces, metrics and the instrumented application.
- `bootstrap.py` (the composition root) and `settings.py` stay at the top.
"""
