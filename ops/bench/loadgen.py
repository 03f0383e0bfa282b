"""The one load generator for every HTTP figure: N clients, each one request at a time.

Clients are asyncio tasks on one httpx connection pool, on 127.0.0.1 only. A run lasts a
fixed time; every request's latency is kept, so p50 and p99 are exact for the run.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

Request = Callable[[httpx.AsyncClient, int, int], Awaitable[httpx.Response]]


@dataclass
class Stats:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def quantile(self, q: float) -> float:
        """Latency quantile in milliseconds."""
        if len(self.latencies) < 2:
            return (self.latencies or [0.0])[0] * 1000
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[round(q * 100) - 1] * 1000


def run(base_url: str, request: Request, clients: int, seconds: float) -> Stats:
    host = urlsplit(base_url).hostname
    if host != "127.0.0.1":
        raise SystemExit(f"load generation only against 127.0.0.1, not {host}")
    return asyncio.run(_run(base_url, request, clients, seconds))


async def _run(base_url: str, request: Request, clients: int, seconds: float) -> Stats:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    latencies: list[float] = []
    errors = 0
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as http:
        started = time.perf_counter()
        deadline = started + seconds

        async def client(n: int) -> None:
            nonlocal errors
            i = 0
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                response = await request(http, n, i)
                latencies.append(time.perf_counter() - t0)
                if response.status_code >= 400:
                    errors += 1
                i += 1

        await asyncio.gather(*(client(n) for n in range(clients)))
        elapsed = time.perf_counter() - started
    return Stats(len(latencies) - errors, errors, elapsed, latencies)
