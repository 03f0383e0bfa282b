"""The `eenplan` command: serve, tokens, demo, audit, privacy, projections and teams."""
