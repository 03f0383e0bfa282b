"""The eenplan domain: household plans, the directory and their rules.

Pure: aggregates, events, commands, value objects and domain errors, plus the
`eventsourcing` applications with one method per command. No web framework,
database driver, logging or telemetry library is imported here.
"""
