"""The floor: a bare FastAPI app that does one INSERT per POST, and a bare JSON GET.

Nothing eenplan does can be faster than this on the same machine, server and PostgreSQL:
same uvicorn, same JSON parsing, one pooled connection per request, one INSERT, no events.
Started by bench.py as `uvicorn floor:app --app-dir ops/bench` with BENCH_PG_URL set.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from psycopg_pool import ConnectionPool

POOL = ConnectionPool(os.environ.get("BENCH_PG_URL", ""), min_size=5, max_size=15, open=False)
PLAN = {"plan_id": str(uuid.uuid4()), "version": 7, "members": [{"member_id": "m1", "name": "x" * 20}] * 3}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    POOL.open(wait=True)
    with POOL.connection() as conn:
        # Several workers start at once, and two concurrent CREATE TABLE IF NOT EXISTS can still
        # collide in the catalogue: one at a time, under a transaction-scoped advisory lock.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('floor_things'))")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS floor_things (id bigserial PRIMARY KEY, body jsonb NOT NULL)"
        )
    yield
    POOL.close()


app = FastAPI(lifespan=lifespan)


@app.post("/things/{thing_id}/commands")
def insert(thing_id: str, body: dict[str, Any]) -> dict[str, Any]:
    with POOL.connection() as conn:
        row = conn.execute(
            "INSERT INTO floor_things (body) VALUES (%s) RETURNING id", (json.dumps(body),)
        ).fetchone()
    return {"thing_id": thing_id, "position": row[0] if row else None}


@app.get("/things/{thing_id}")
def read(thing_id: str) -> dict[str, Any]:
    return {**PLAN, "plan_id": thing_id}
