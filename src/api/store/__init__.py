"""SQL beside the event store: chained recorders, idempotency keys, locks, the store gate, the master key."""
