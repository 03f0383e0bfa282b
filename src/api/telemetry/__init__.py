"""Logs, traces and metrics: set up once, and the application as the API runs it (instrumented)."""
