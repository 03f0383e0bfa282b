"""The benchmark scenarios; each adds rows (eenplan figure, baseline figure) to the bench.

Every scenario works in its own database on the one PostgreSQL server, so a filled store
in one does not slow another.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import loadgen
import psycopg
from bench import Bench, Row
from eventsourcing.persistence import InfrastructureFactory, StoredEvent
from eventsourcing.utils import Environment
from peer import PeerApp
from tests.factories import World, command, make_world

from eenplan.api.bootstrap import build_application
from eenplan.api.http.auth import mint_dev_token
from eenplan.api.settings import Settings
from eenplan.domain.app import Eenplan

EENPLAN = str(Path(sys.executable).parent / "eenplan")
NOTE = {"type": "add_note", "category": "general", "text": "Huisbezoek afgelegd, afspraken gemaakt."}
# The floor's command: the same body, one INSERT per POST (ops/bench/floor.py).
FLOOR_COMMAND = loadgen.Load(
    [f"/things/{n}/commands" for n in range(32)],
    "POST",
    {"content-type": "application/json"},
    json.dumps(NOTE),
)
# The projection worker's database role in the bench: pg_stat_statements counts per role.
PROJECTOR_ROLE = "bench_projector"
READ_ROUTES = {  # figure -> path of eenplan, tried in order; a 404 skips the figure with a note
    "GET /plans/{id}": "/plans/{plan_id}",
    "GET /caseload": "/caseload",
}


class Eenplan1:
    """An eenplan store with one tenant, 32 plans of one regisseur, and a token for them."""

    def __init__(self, bench: Bench, name: str) -> None:
        self.url = bench.database(name)
        self.settings = Settings(database_url=self.url, data_dir=bench.dir / name, log_level="WARNING")
        self.app = build_application(self.settings)
        self.world: World = make_world(self.app)
        self.pro = self.world.pros[self.world.orgs["welfare"]][0]
        self.plans = [self.world.open(self.pro).plan_id for _ in range(32)]
        org = self.world.orgs["welfare"]
        token = mint_dev_token(
            self.settings, sub=self.pro, org=org, tenants=["GM0687"], roles=["professional"]
        )
        self.headers = {"Authorization": f"Bearer {token}"}

    def serve(self, bench: Bench, *, projections: bool = True, **settings: str) -> str:
        """`eenplan serve --workers N` on this store (N: the bench's), and with N above 1 the
        projection worker it then leaves the projections to (`eenplan project run`, as in
        ops/README.md); `settings` are more EENPLAN_* variables (name: value).
        `projections=False`: none run, in process or beside it."""
        if not projections:
            settings = {**settings, "projections_in_process": "false"}
        env = {
            "EENPLAN_DATABASE_URL": self.url,
            "EENPLAN_DATA_DIR": str(self.settings.data_dir),
            "EENPLAN_LOG_LEVEL": "WARNING",
            **{f"EENPLAN_{name.upper()}": value for name, value in settings.items()},
        }
        argv = [EENPLAN, "serve", "--port", "{port}", "--workers", str(bench.workers)]
        url = bench.start(argv, env, "/health")
        if bench.workers > 1 and projections:  # under a role of its own: its statements told apart
            worker_env = {**env, "EENPLAN_DATABASE_URL": bench.as_role(self.url, PROJECTOR_ROLE)}
            bench.spawn([EENPLAN, "project", "run"], worker_env, "projection-worker")
        return bench.started(url)

    def note_load(self) -> loadgen.Load:
        """add_note to its 32 plans in turn, each with an Idempotency-Key of its own."""
        return loadgen.Load(
            [f"/plans/{p}/commands" for p in self.plans[:32]],
            "POST",
            {**self.headers, "content-type": "application/json"},
            json.dumps(NOTE),
            fresh_keys=True,
        )


def floor(bench: Bench) -> str:
    env = {"BENCH_PG_URL": bench.database("floor")}
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        "floor:app",
        "--app-dir",
        "ops/bench",
        "--port",
        "{port}",
        "--log-level",
        "warning",
        "--no-access-log",
        "--workers",
        str(bench.workers),
    ]
    return bench.started(bench.start(args, env, "/things/probe"))


def http_commands(bench: Bench) -> None:
    """Commands over HTTP at 1, 8, 32 clients vs a bare FastAPI INSERT per POST (floor); reads."""
    store = Eenplan1(bench, "http")
    ours, bare = store.serve(bench), floor(bench)

    note = store.note_load()
    thing = FLOOR_COMMAND

    for clients in (1, 8, 32):
        e = loadgen.run(ours, note, clients, bench.seconds)
        f = loadgen.run(bare, thing, clients, bench.seconds)
        errors = f"; {e.errors} eenplan errors" if e.errors else ""
        bench.add(
            Row(
                f"commands/s over HTTP, {clients} clients",
                e.per_second,
                f.per_second,
                "cmd/s",
                "floor: FastAPI + 1 INSERT",
                errors.lstrip("; "),
            )
        )
        bench.add(Row(f"  p50 latency, {clients} clients", e.quantile(0.5), f.quantile(0.5), "ms", "floor"))
        bench.add(Row(f"  p99 latency, {clients} clients", e.quantile(0.99), f.quantile(0.99), "ms", "floor"))
    bare_read = loadgen.run(bare, loadgen.BARE_READ, 8, bench.seconds)
    for figure, path in READ_ROUTES.items():
        url = path.format(plan_id=store.plans[0])
        if httpx.get(ours + url, headers=store.headers).status_code == 404:
            bench.add(
                Row(
                    f"{figure} reads/s, 8 clients",
                    None,
                    bare_read.per_second,
                    "req/s",
                    "bare FastAPI JSON GET",
                    "skipped: route absent on this branch",
                )
            )
            continue
        paths = [path.format(plan_id=p) for p in store.plans]
        r = loadgen.run(ours, loadgen.Load(paths, headers=store.headers), 8, bench.seconds)
        bench.add(
            Row(
                f"{figure} reads/s, 8 clients",
                r.per_second,
                bare_read.per_second,
                "req/s",
                "bare FastAPI JSON GET",
                f"{r.errors} error answers" if r.errors else "",
            )
        )
    store.app.close()


def _statements(bench: Bench, database_url: str, run: Callable[[], loadgen.Stats]) -> dict[str, float] | None:
    """SQL statements per answered request in `database_url`'s database while `run` runs, from
    pg_stat_statements, by who sent them: "api" (the API workers: the command, its key, its
    processing-log line) and "projections" (the projection worker, or nothing when the API
    applies them in process and they count under "api"). None when the cluster does not load
    pg_stat_statements."""
    name = database_url.rpartition("/")[2]
    with psycopg.connect(bench.pg_url, autocommit=True) as conn:
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            conn.execute("SELECT pg_stat_statements_reset()")
        except psycopg.Error:
            return None
        stats = run()
        rows = conn.execute(
            "SELECT r.rolname = %s, s.calls, left(regexp_replace(s.query, '\\s+', ' ', 'g'), 110)"
            " FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
            " JOIN pg_roles r ON r.oid = s.userid WHERE d.datname = %s ORDER BY s.calls DESC",
            (PROJECTOR_ROLE, name),
        ).fetchall()
    if not stats.requests:
        return None
    per: dict[str, float] = {"api": 0.0, "projections": 0.0}
    for projector, calls, _ in rows:
        per["projections" if projector else "api"] += calls / stats.requests
    # Where the statements go: for the engineer who wants fewer.
    for projector, label in ((False, "API workers"), (True, "projection worker")):
        mine = [(calls, query) for p, calls, query in rows if p == projector][:25]
        if mine:
            print(f"  statements per request in {name}, {label}, most called first:", file=sys.stderr)
            for calls, query in mine:
                print(f"    {calls / stats.requests:6.2f}  {query}", file=sys.stderr)
    return per


# Enough fresh plans that a run's batches (some 15 a second) give each plan one or two.
FRESH_PLANS, FRESH_PLANS_QUICK = 200, 80


def writes(bench: Bench) -> None:
    """Bulk import through commands:batch (100 commands a batch) into fresh plans, as the issue
    asks (a municipality bringing its existing cases: each a new plan with its history), one or
    two batches a plan; SQL statements per command."""
    store = Eenplan1(bench, "writes")
    count = FRESH_PLANS_QUICK if bench.quick else FRESH_PLANS
    fresh = [store.world.open(store.pro).plan_id for _ in range(count)]
    ours, bare = store.serve(bench), floor(bench)
    headers = {**store.headers, "content-type": "application/json"}
    batch = loadgen.Load(
        [f"/plans/{p}/commands:batch" for p in fresh],
        "POST",
        headers,
        json.dumps({"commands": [NOTE] * 100}),
        fresh_keys=True,
    )
    thing = FLOOR_COMMAND
    loadgen.run(ours, batch, 8, 1)  # warm the caches
    imported = loadgen.run(ours, batch, 8, bench.seconds)
    rows = loadgen.run(bare, thing, 8, bench.seconds)
    bench.add(
        Row(
            "bulk import events/s, commands:batch of 100, 8 clients",
            imported.per_second * 100,
            rows.per_second,
            "events/s",
            "floor: rows/s, 1 INSERT per POST",
            f"{imported.errors} eenplan errors" if imported.errors else "",
        )
    )
    ours_per = _statements(bench, store.url, lambda: loadgen.run(ours, store.note_load(), 1, bench.seconds))
    floor_per = _statements(
        bench, bench.database_url("floor"), lambda: loadgen.run(bare, thing, 1, bench.seconds)
    )
    floor_total = floor_per["api"] if floor_per else None
    if ours_per is None:
        note = "skipped: the cluster has no pg_stat_statements"
        bench.add(
            Row("SQL statements per add_note, 1 client", None, floor_total, "stmts", "floor: 1 INSERT", note)
        )
    else:
        where = "the API worker" if bench.workers > 1 else "the API, with its in-process projections"
        for figure, value, note in (
            ("SQL statements per add_note, 1 client", sum(ours_per.values()), "all processes"),
            ("  of them the command's own", ours_per["api"], where),
            ("  of them the projection worker's", ours_per["projections"] or None, ""),
        ):
            bench.add(Row(figure, value, floor_total, "stmts", "floor: 1 INSERT", note))


def telemetry(bench: Bench) -> None:
    """What telemetry costs: commands/s (8 clients) with SQL spans on, and with no exporters."""
    store = Eenplan1(bench, "telemetry")
    load = store.note_load()

    def rate(**settings: str) -> float:
        url = store.serve(bench, **settings)
        loadgen.run(url, load, 8, 1)  # warm the caches
        per_second = loadgen.run(url, load, 8, bench.seconds).per_second
        bench.stop_all()
        return per_second

    default = rate()  # command and HTTP spans and metrics (Prometheus), no SQL spans
    for figure, settings in (
        ("commands/s, SQL spans on", {"telemetry_sql_spans": "true"}),
        ("commands/s, no exporters (spans made, metrics not read)", {"telemetry_exporters": ""}),
    ):
        bench.add(Row(figure, rate(**settings), default, "cmd/s", "default telemetry, same store"))


def in_process(bench: Bench) -> None:
    """The same command in process: eenplan's application vs a plain eventsourcing app (peer)."""
    store = Eenplan1(bench, "inproc")
    peer = PeerApp(env=store.settings.store_env() | _peer_db(bench))  # same pool settings
    peer_plans = [peer.open_plan() for _ in range(32)]
    ctx = store.world.ctx(store.pro)
    cmd = command(**NOTE)
    for threads in (1, 8):
        ours = _throughput(
            lambda n: store.app.plans.execute(ctx, store.plans[n % 32], cmd), threads, bench.seconds
        )
        theirs = _throughput(
            lambda n: peer.add_note(peer_plans[n % 32], NOTE["text"]), threads, bench.seconds
        )
        bench.add(
            Row(
                f"commands/s in process, {threads} threads",
                ours,
                theirs,
                "cmd/s",
                "peer: plain eventsourcing app",
            )
        )
    peer.close()
    store.app.close()


def _peer_db(bench: Bench) -> dict[str, str]:
    url = bench.database("peer")
    return {"POSTGRES_DBNAME": url.rpartition("/")[2]}


def _throughput(do: Callable[[int], object], threads: int, seconds: float) -> float:
    deadline = time.perf_counter() + seconds
    counts = [0] * threads

    def worker(n: int) -> None:
        while time.perf_counter() < deadline:
            do(n)
            counts[n] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, range(threads)))
    return sum(counts) / (time.perf_counter() - started)


def long_plan(bench: Bench) -> None:
    """Load a plan of 1,000 events, and replay it as of its middle, vs reading its raw rows."""
    store = Eenplan1(bench, "longplan")
    ctx, cmd, plan_id = store.world.ctx(store.pro), command(**NOTE), store.plans[0]
    while store.app.plans.execute(ctx, plan_id, cmd).version < 1000:
        pass
    cold = build_application(store.settings)  # with the privacy mapper: fields decrypt on load
    cold.repository.cache = None  # the load must come from the store, not the aggregate cache
    actor, uid = ctx.actor, UUID(plan_id)
    repeat = 5 if bench.quick else 20
    pairs = [
        (
            "load a 1,000-event plan (snapshots)",
            lambda: cold.plans.plan(actor, plan_id),
            lambda: list(cold.recorder.select_events(uid)),
        ),
        (
            "replay it as of version 500",
            lambda: cold.plans.plan(actor, plan_id, version=500),
            lambda: list(cold.recorder.select_events(uid, lte=500)),
        ),
    ]
    for figure, ours, raw in pairs:
        bench.add(
            Row(
                figure,
                _median_ms(ours, repeat),
                _median_ms(raw, repeat),
                "ms",
                "select its raw rows, no decoding",
            )
        )
    _catch_up(bench, store.settings, _notification_log(cold))
    cold.close()
    store.app.close()


def _notification_log(app: Eenplan) -> float:
    """Events per second of reading and decoding the whole notification log: the baseline."""
    started, events, start = time.perf_counter(), 0, 1
    while True:
        page = app.recorder.select_notifications(start=start, limit=500)
        if not page:
            break
        for notification in page:
            app.mapper.to_domain_event(notification)
        events, start = events + len(page), page[-1].id + 1
    return events / (time.perf_counter() - started)


def _catch_up(bench: Bench, settings: Settings, baseline: float) -> None:
    figure, unit, against = "projection catch-up (rebuild plans view)", "events/s", "read + decode the log"
    try:
        from eenplan.api.bootstrap import build

        container = build(settings)
        projections = container.projections  # type: ignore[attr-defined]
    except (ImportError, AttributeError):
        bench.add(Row(figure, None, baseline, unit, against, "skipped: no projections on this branch"))
        return
    head = container.eenplan.recorder.max_notification_id() or 0
    started = time.perf_counter()
    projections.rebuild("plans")
    bench.add(Row(figure, head / (time.perf_counter() - started), baseline, unit, against))
    container.close()


def _median_ms(do: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        do()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


VOLUME_TURNS = 3


def volume(bench: Bench) -> None:
    """p99 command latency (1 client, HTTP) with 100,000 and 1,000,000 events already stored."""
    full, empty = Eenplan1(bench, "volume"), Eenplan1(bench, "volume0")
    sizes = (10_000, 100_000) if bench.quick else (100_000, 1_000_000)
    note = "--quick: smaller stores" if bench.quick else ""
    # Without projections: the filler is volume for the event store, and a projection worker
    # catching up on a million filler events would take the CPU the commands are measured on.
    full_url, empty_url = full.serve(bench, projections=False), empty.serve(bench, projections=False)

    def p99(store: Eenplan1, url: str) -> float:
        return loadgen.run(url, store.note_load(), 1, bench.seconds).quantile(0.99)

    p99(full, full_url)  # stores a note to copy
    for size in sizes:
        _fill(full.app, size)
        # The baseline is measured in turn with it, on a store that stays nearly empty: the same
        # machine load, the same plans' sizes. A p99 of one short run is a handful of requests,
        # and this machine is shared: three turns each, in alternating order, and the median of
        # each side's p99s.
        mine: list[float] = []
        theirs: list[float] = []
        sides = [(mine, full, full_url), (theirs, empty, empty_url)]
        for turn in range(VOLUME_TURNS):
            for into, store, url in sides if turn % 2 == 0 else sides[::-1]:
                into.append(p99(store, url))
        ours, baseline = statistics.median(mine), statistics.median(theirs)
        bench.add(
            Row(
                f"p99 command latency, {size:,} events stored",
                ours,
                baseline,
                "ms",
                "same, store nearly empty",
                note,
            )
        )
    full.app.close()
    empty.app.close()


def _fill(app: Eenplan, total: int, per_plan: int = 100, batch: int = 1_000) -> None:
    """Bulk-load filler events (copies of one real stored note) until the store holds `total`.

    The filler goes through the library's plain recorder on the same table: it is volume to
    measure against, not history, so it skips the hash chain (whose per-event work would
    dominate the fill). Commands measured afterwards go through the chained recorder as usual.
    """
    sample = next(e for e in app.recorder.select_events(_any_plan(app)) if e.topic.endswith("NoteAdded"))
    chained = app.recorder
    plain = _plain_recorder(app)
    have = chained.max_notification_id() or 0
    while have < total:
        rows = []
        for _ in range(min(batch, total - have) // per_plan or 1):
            originator = uuid4()
            rows += [StoredEvent(originator, v, sample.topic, sample.state) for v in range(1, per_plan + 1)]
        plain.insert_events(rows)
        have = chained.max_notification_id() or 0


def _plain_recorder(app: Eenplan) -> Any:
    """The library's own recorder on the same tables, with a connection pool of its own."""
    env = {k: v for k, v in app.env.items() if k != "APPLICATION_RECORDER_TOPIC"}
    return InfrastructureFactory.construct(Environment(app.name, env)).application_recorder()


def _any_plan(app: Eenplan) -> UUID:
    for notification in app.recorder.select_notifications(start=1, limit=10_000):
        if notification.topic.endswith("NoteAdded"):
            return UUID(str(notification.originator_id))
    raise RuntimeError("no note in the store to copy")


ALL = [http_commands, writes, telemetry, in_process, long_plan, volume]
