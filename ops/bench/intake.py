"""Benchmark intake's whole-log queries and a reorganisation on a store with N plans.

    .venv/bin/python ops/bench/intake.py [--plans 2000] [--database-url sqlite:////tmp/bench.db]

Prints seconds for: opening the plans, the regisseur load from the log (what allocation uses
until the caseload projection is wired in), ranking candidates, and reorganising 10 teams into 4.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.e2e.test_reorganisation_http import OLD, SPEC, TENANT, load_store
from tests.factories import ctx_for

from eenplan.api.bootstrap import build_application
from eenplan.api.settings import Settings
from eenplan.domain.intake.commands import SubmitHelpRequest
from eenplan.domain.reorganisation import Reorganisation


def timed(label: str, fn: object) -> object:
    start = time.perf_counter()
    result = fn()  # type: ignore[operator]
    print(f"{label:40} {time.perf_counter() - start:8.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    args = parser.parse_args()
    app = build_application(Settings(database_url=args.database_url, data_dir=Path(tempfile.mkdtemp())))
    timed(f"open {len(OLD) * 200} plans", lambda: load_store(app))
    timed("regisseur load from the log", lambda: app.scans.regisseur_load_from_log(TENANT))
    desk = ctx_for("pro-0-0", "porthos", tenants=(TENANT,))
    body = {"tenant": TENANT, "channel": "phone", "topics": ["money"], "summary": "s"}
    request = app.intake.submit_help_request(
        desk, SubmitHelpRequest.model_validate({**body, "contact": {"given_name": "A", "family_name": "B"}})
    )
    timed("rank candidates", lambda: app.intake.candidates(desk.actor, request.request_id))
    admin = ctx_for("admin", "gemeente", "admin", tenants=(TENANT,))
    timed(
        "reorganise 10 teams into 4",
        lambda: app.reorganisations.reorganise(admin, Reorganisation.model_validate(SPEC)),
    )
    app.close()


if __name__ == "__main__":
    main()
