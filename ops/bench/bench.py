"""ops/bench driver: run every scenario against one PostgreSQL, print the table, write JSON.

Run it through `ops/bench/run` (which starts and removes a throwaway PostgreSQL). Each
figure of eenplan is paired with a baseline measured in the same run, on the same load
generator and the same server; `ratio` is eenplan / baseline. For throughput a ratio under
1 means eenplan is slower than its baseline; for times and latencies a ratio over 1 does.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT), str(HERE)]


@dataclass
class Row:
    figure: str
    eenplan: float | None
    baseline: float | None
    unit: str
    baseline_is: str
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.eenplan or not self.baseline:
            return None
        return self.eenplan / self.baseline


class Bench:
    """What every scenario shares: the server URL, a scratch dir, timings, the rows."""

    def __init__(self, pg_url: str, quick: bool, workers: int = 2) -> None:
        self.pg_url = pg_url
        self.quick = quick
        # Server processes of eenplan and of its HTTP baselines alike (the goals are for
        # two each); eenplan on PostgreSQL with several then has a projection worker beside it.
        self.workers = workers
        self.seconds = 3.0 if quick else 10.0
        self.dir = Path(tempfile.mkdtemp(prefix="eenplan-bench-"))
        self.rows: list[Row] = []
        self.processes: list[subprocess.Popen[bytes]] = []

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(f"  {_line(row)}", file=sys.stderr, flush=True)

    def database_url(self, name: str) -> str:
        """The URL of a database made by `database` (without making it again)."""
        return f"{self.pg_url.rpartition('/')[0]}/{name}"

    def as_role(self, url: str, role: str) -> str:
        """`url` with another user: a superuser role made here if missing (the throwaway cluster
        trusts loopback), so that pg_stat_statements tells that process's statements apart."""
        with psycopg.connect(self.pg_url, autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                conn.execute(f'CREATE ROLE "{role}" LOGIN SUPERUSER')
        scheme, _, rest = url.partition("://")
        host = rest.partition("@")[2] if "@" in rest else rest
        return f"{scheme}://{role}@{host}"

    def database(self, name: str) -> str:
        with psycopg.connect(self.pg_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{self.pg_url.rpartition('/')[0]}/{name}"

    def start(self, args: list[str], env: dict[str, str], probe: str) -> str:
        """Start a server process on a free loopback port; returns its base URL once it answers."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        log = (self.dir / f"server-{port}.log").open("wb")
        argv = [a.replace("{port}", str(port)) for a in args]
        proc = subprocess.Popen(argv, env={**os.environ, **env}, cwd=ROOT, stdout=log, stderr=log)
        self.processes.append(proc)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + probe, timeout=1).status_code < 500:
                    return url
            except httpx.HTTPError:
                time.sleep(0.2)
        raise SystemExit(f"server {argv} did not come up; see {log.name}")

    def started(self, url: str) -> str:
        """`url` once every worker behind it can answer: the probe reached one of them, and
        uvicorn's other workers import the application in parallel; give them that time."""
        if self.workers > 1:
            time.sleep(3)
        return url

    def spawn(self, args: list[str], env: dict[str, str], name: str) -> None:
        """A background process without HTTP (a projection worker), stopped with the servers."""
        log = (self.dir / f"{name}-{len(self.processes)}.log").open("wb")
        proc = subprocess.Popen(args, env={**os.environ, **env}, cwd=ROOT, stdout=log, stderr=log)
        self.processes.append(proc)

    def stop_all(self) -> None:
        for proc in self.processes:
            proc.terminate()
        for proc in self.processes:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.processes.clear()


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def _line(row: Row) -> str:
    ratio = "-" if row.ratio is None else f"{row.ratio:.2f}"
    return (
        f"{row.figure:<46} {_fmt(row.eenplan):>10} {_fmt(row.baseline):>10} {row.unit:<9} "
        f"{ratio:>6}  {row.baseline_is}{'; ' + row.note if row.note else ''}"
    )


def machine(pg_url: str) -> dict[str, object]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    with psycopg.connect(pg_url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "postgresql": row[0] if row else "?",
        "commit": commit.stdout.strip(),
        "fsync": "off (throwaway cluster from ops/pg)",
    }


def facts_of(bench: Bench, pg_url: str) -> dict[str, object]:
    return {**machine(pg_url), "server workers": bench.workers}


def report(bench: Bench, facts: dict[str, object], out_dir: Path) -> Path:
    header = f"{'figure':<46} {'eenplan':>10} {'baseline':>10} {'unit':<9} {'ratio':>6}  baseline"
    print(f"\neenplan benchmarks{' (--quick)' if bench.quick else ''}: ratio = eenplan / baseline")
    print(", ".join(f"{k}: {v}" for k, v in facts.items()))
    print(header)
    print("-" * len(header))
    for row in bench.rows:
        print(_line(row))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"bench-{time.strftime('%Y%m%dT%H%M%S')}{'-quick' if bench.quick else ''}.json"
    rows = [{**asdict(r), "ratio": r.ratio} for r in bench.rows]
    path.write_text(json.dumps({"quick": bench.quick, "machine": facts, "rows": rows}, indent=2))
    print(f"\nwritten: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg-url", required=True)
    parser.add_argument("--quick", action="store_true", help="shorter runs and smaller stores (< 5 min)")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--only", action="append", help="run only this scenario (repeatable)")
    parser.add_argument(
        "--workers", type=int, default=2, help="server processes of eenplan and of each baseline (default 2)"
    )
    args = parser.parse_args()
    import plan_cache
    import reads
    import scenarios

    bench = Bench(args.pg_url, args.quick, args.workers)
    try:
        for scenario in [*scenarios.ALL, reads.reads, plan_cache.plan_cache]:
            if args.only and scenario.__name__ not in args.only:
                continue
            print(f"== {scenario.__doc__}", file=sys.stderr, flush=True)
            scenario(bench)
            bench.stop_all()
    finally:
        bench.stop_all()
    report(bench, facts_of(bench, args.pg_url), args.out)


if __name__ == "__main__":
    main()
