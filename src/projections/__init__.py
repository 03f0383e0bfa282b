"""Read models built from the event log: caseloads, plan lists, team dashboards, monitoring.

- `tracking`: exactly-once application of the log, the position committed with the view rows.
- `plans`, `directory`: the projections (their tables and event handlers).
- `runner`: follows the log (polling; LISTEN/NOTIFY on PostgreSQL; advisory locks per projection).
- `rebuild`: blue-green rebuild into a new generation of tables, swapped in atomically.
- `queries`, `aggregates`, `monitoring`, `visibility`: what the API reads, filtered for the caller.
- `status`: position, head, lag and rate, for `/ready` and OpenTelemetry.
- `service.Projections`: the one object the composition root wires and the API calls.

Privacy: projection tables hold no personal values (no names, BSN, birth dates,
addresses, reason, note, goal or agreement text): only ids, statuses, dates, risk
levels, life domains, scores and counts. Crypto-shredding a household therefore
needs no purge of projection rows.
"""
