"""eenplan: één huishouden, één plan, één regisseur.

The one import name of the product. Its rooms:

- `eenplan.domain`: the household plan, the directory and intake: aggregates, events, rules. Pure.
- `eenplan.privacy`: who may see and change what, field encryption, erasure, the processing log.
- `eenplan.projections`: read models built from the event log.
- `eenplan.api`: the outer ring: HTTP, the CLI, the SQL beside the event store, telemetry, and the
  composition root that wires them together.
"""
