"""The list reads on their own: GET /caseload, GET /plans and GET /plans/{id} vs a bare JSON GET.

The same store as the HTTP scenario (one regisseur, 32 plans), each plan with a few notes and a
second member, so a caseload page lists 32 households of two subjects each. The baseline is the
bare FastAPI GET of the floor app, measured in the same run, with the same 8 clients.
Run: `ops/bench/run --quick --only reads`.
"""

from __future__ import annotations

import httpx
import loadgen
from bench import Bench, Row
from scenarios import NOTE, Eenplan1, floor
from tests.factories import command

MEMBER = {"given_name": "Bo", "family_name": "Jansen", "birth_date": "2015-01-01", "role": "child"}
ROUTES = {  # figure -> path; each plan in turn for the single-plan read
    "GET /caseload": "/caseload?min_position={head}",
    "GET /plans": "/plans?min_position={head}",
    "GET /plans/{id}": "/plans/{plan_id}",
}


def reads(bench: Bench) -> None:
    """List and plan reads at 8 clients vs a bare FastAPI JSON GET (same run, same load generator)."""
    store = Eenplan1(bench, "reads")
    ctx = store.world.ctx(store.pro)
    for n, plan_id in enumerate(store.plans):  # a child of its own per household: no two match
        member = {**MEMBER, "birth_date": f"2015-{n // 28 + 1:02d}-{n % 28 + 1:02d}"}
        store.app.plans.execute(ctx, plan_id, command(type="add_member", member=member))
        for _ in range(5):
            store.app.plans.execute(ctx, plan_id, command(**NOTE))
    head = store.app.recorder.max_notification_id() or 0
    ours, bare = store.serve(bench), floor(bench)
    baseline = loadgen.run(bare, loadgen.BARE_READ, 8, bench.seconds).per_second
    for figure, template in ROUTES.items():
        paths = [template.format(plan_id=p, head=head) for p in store.plans]
        first = _first(ours + paths[0], store.headers)
        if first.status_code != 200:
            bench.add(
                Row(
                    f"{figure} reads/s, 8 clients",
                    None,
                    baseline,
                    "req/s",
                    "bare FastAPI JSON GET",
                    f"skipped: {first.status_code}",
                )
            )
            continue

        r = loadgen.run(ours, loadgen.Load(paths, headers=store.headers), 8, bench.seconds)
        note = f"{r.errors} error answers" if r.errors else ""
        bench.add(
            Row(
                f"{figure} reads/s, 8 clients", r.per_second, baseline, "req/s", "bare FastAPI JSON GET", note
            )
        )
    store.app.close()


def _first(url: str, headers: dict[str, str]) -> httpx.Response:
    """The first answer once the server's views have caught up with the filled store (or not)."""
    for _ in range(10):
        response = httpx.get(url, headers=headers, timeout=30)
        if response.status_code != 503:
            break
    return response
