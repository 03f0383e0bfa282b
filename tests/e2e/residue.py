"""Looking for what is left of a person on disk: every file of the store and the data directory.

SQLite: every file beside the database (the file, its -wal and -shm) and under the data
directory (keys, server logs). PostgreSQL: every file of the database's own directory in
the cluster (`base/<oid>`: tables, TOAST, indexes, free space maps), after a CHECKPOINT has
written what the server holds in memory, and a `pg_dump`; the data directory as for SQLite.
The cluster's WAL and archives are not searched: docs/privacy.md says what stays there.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg

from eenplan.api.settings import Settings

PG_DUMP = "/usr/lib/postgresql/15/bin/pg_dump"


def files(settings: Settings) -> list[Path]:
    roots = [settings.data_dir]
    if settings.is_postgres:
        roots.append(_database_directory(settings.database_url))
    else:
        roots.append(Path(settings.database_url.removeprefix("sqlite:///")).parent)
    return sorted({p for root in roots for p in root.rglob("*") if p.is_file()})


def _database_directory(url: str) -> Path:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")  # what is only in shared buffers reaches the files
        (data,) = conn.execute("SHOW data_directory").fetchone() or ("",)
        (oid,) = conn.execute(
            "SELECT oid FROM pg_database WHERE datname = current_database()"
        ).fetchone() or (0,)
    return Path(str(data)) / "base" / str(oid)


def dump(settings: Settings) -> bytes:
    if not settings.is_postgres:
        return b""
    return subprocess.run([PG_DUMP, settings.database_url], check=True, capture_output=True).stdout


def where(settings: Settings, needles: dict[str, bytes]) -> dict[str, list[str]]:
    """For each needle found: the files (and "pg_dump") that hold it."""
    found: dict[str, list[str]] = {}
    blobs = [(str(p), p.read_bytes()) for p in files(settings)] + [("pg_dump", dump(settings))]
    for name, needle in needles.items():
        holders = [path for path, blob in blobs if needle in blob]
        if holders:
            found[name] = holders
    return found
