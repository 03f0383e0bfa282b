"""The one load generator for every HTTP figure: wrk, a C load generator, N connections.

A load generator written in Python shares the two cores with the server and measures itself;
wrk costs a fraction of that. Each run writes a small Lua script for wrk: the requests go round
a list of paths, with fixed headers and body, optionally a fresh Idempotency-Key each; the
script's `done` hook prints the counts and latency percentiles as one JSON line. Answers of 400
and above (wrk's status errors) and socket errors are counted as errors, not as requests.
Load goes to 127.0.0.1 only.

wrk is the OS package (`apt-get install wrk`); ops/bench/run installs it when it is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Load:
    """What each request is: the paths it goes round, its method, headers and body."""

    paths: list[str]
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None  # JSON text
    fresh_keys: bool = False  # a new Idempotency-Key per request, as a careful partner sends


# The floor's JSON GET (ops/bench/floor.py), the baseline of every read figure.
BARE_READ = Load([f"/things/{n}" for n in range(32)])


@dataclass
class Stats:
    requests: int  # answered below 400
    errors: int  # answered 400 or above, or a socket error
    seconds: float
    percentiles: dict[float, float]  # quantile -> milliseconds

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def quantile(self, q: float) -> float:
        """Latency quantile in milliseconds (0.5 and 0.99 are measured)."""
        return self.percentiles[q]


def _lua_string(text: str) -> str:
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def _script(load: Load) -> str:
    paths = ", ".join(_lua_string(p) for p in load.paths)
    headers = ", ".join(f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in load.headers.items())
    body = _lua_string(load.body) if load.body is not None else "nil"
    return f"""
local paths = {{{paths}}}
local method, body, fresh = {_lua_string(load.method)}, {body}, {str(load.fresh_keys).lower()}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end
function init(args)
  n = 0
  math.randomseed(os.time() * 100 + id)
  headers = {{{headers}}}
end
function request()
  n = n + 1
  if fresh then headers["Idempotency-Key"] = string.format("wrk-%d-%d-%d", id, n, math.random(1e9)) end
  return wrk.format(method, paths[(n % #paths) + 1], headers, body)
end
function done(summary, latency, requests)
  local s = summary.errors
  io.write(string.format(
    'EENPLAN-WRK {{"requests": %d, "errors": %d, "socket_errors": %d, "duration_us": %d,'
    .. ' "p50_us": %f, "p99_us": %f}}\\n',
    summary.requests, s.status, s.connect + s.read + s.write + s.timeout,
    summary.duration, latency:percentile(50), latency:percentile(99)))
end
"""


def run(base_url: str, load: Load, clients: int, seconds: float) -> Stats:
    host = urlsplit(base_url).hostname
    if host != "127.0.0.1":
        raise SystemExit(f"load generation only against 127.0.0.1, not {host}")
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (apt-get install wrk); ops/bench/run installs it")
    with tempfile.TemporaryDirectory() as scratch:
        script = Path(scratch) / "load.lua"
        script.write_text(_script(load))
        threads = min(clients, 2)  # two cores: more threads only take turns
        argv = [wrk, f"-t{threads}", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "60s"]
        out = subprocess.run(
            [*argv, "-s", str(script), base_url], capture_output=True, text=True, check=True
        ).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("EENPLAN-WRK ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no result:\n{out}")
    found = json.loads(line.removeprefix("EENPLAN-WRK "))
    errors = int(found["errors"]) + int(found["socket_errors"])
    return Stats(
        requests=int(found["requests"]) - int(found["errors"]),
        errors=errors,
        seconds=found["duration_us"] / 1e6,
        percentiles={0.5: found["p50_us"] / 1000, 0.99: found["p99_us"] / 1000},
    )
