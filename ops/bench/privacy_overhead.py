"""What field encryption costs: commands and cold plan loads, with and without it, on SQLite.

Run: .venv/bin/python ops/bench/privacy_overhead.py [plans] [commands-per-plan]
Prints commands/s and cold loads/s (aggregate cache off, snapshots on) for the
plain mapper and for privacy's FieldCipherMapper, plus the cost of one filtered
read through the PlanReader (filter + processing-log note, without the log write).
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from tests.factories import make_world  # noqa: E402

from eenplan.api.settings import Settings  # noqa: E402
from eenplan.domain.app import Eenplan  # noqa: E402
from eenplan.privacy.reader import PlanReader  # noqa: E402
from eenplan.privacy.service import MAPPER_ENV, Privacy, PrivacyConfig  # noqa: E402


def run(encrypted: bool, plans: int, commands: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**Settings(database_url=f"sqlite:///{tmp}/b.db").store_env(), "AGGREGATE_CACHE_MAXSIZE": "0"}
        app = Eenplan(env={**env, **(MAPPER_ENV if encrypted else {})})
        privacy = Privacy.attach(app, PrivacyConfig(master_key=b"b" * 32)) if encrypted else None
        world = make_world(app, kinds=("social_work",))
        pro = world.pros[world.orgs["social_work"]][0]
        started = time.perf_counter()
        ids = []
        for _ in range(plans):
            plan_id = world.open(pro).plan_id
            ids.append(plan_id)
            for i in range(commands):
                world.run(pro, plan_id, type="add_note", category="health", text=f"notitie {i} met wat tekst")
        written = time.perf_counter() - started
        actor = world.ctx(pro).actor
        started = time.perf_counter()
        for plan_id in ids:
            app.plans.plan(actor, plan_id)
        loaded = time.perf_counter() - started
        result = {"commands/s": plans * (commands + 1) / written, "cold loads/s": plans / loaded}
        if privacy is not None:
            reader, now = PlanReader(app, privacy), datetime.now(UTC)
            started = time.perf_counter()
            for plan_id in ids:
                reader.plan(actor, plan_id, now=now)
            result["filtered reads/s"] = plans / (time.perf_counter() - started)
        app.close()
        return result


def main() -> None:
    plans = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    commands = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    for encrypted in (False, True):
        figures = run(encrypted, plans, commands)
        label = "field encryption" if encrypted else "plain mapper    "
        print(label, "  ".join(f"{k} {v:8.1f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
