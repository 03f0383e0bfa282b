"""Read models built from the event log, and the runner that follows the log exactly once."""
