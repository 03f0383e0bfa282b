"""Tools for fault tests: a dedicated PostgreSQL cluster to kill, a world, a command stream.

The shared test server is never killed: each fault test that kills PostgreSQL starts its own
throwaway cluster with `ops/pg` under /tmp (the server user must reach it) and removes it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from eenplan.api.bootstrap import build_application
from eenplan.api.http.auth import mint_dev_token
from eenplan.api.settings import Settings
from tests.e2e.conftest import ROOT
from tests.factories import World, make_world

PG = str(ROOT / "ops" / "pg")


class Cluster:
    """A throwaway PostgreSQL cluster that may be killed with SIGKILL and started again."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="eenplan-fault-pg-", dir="/tmp"))
        self.dir.chmod(0o755)
        self.url = self._run("start")

    def _run(self, action: str) -> str:
        done = subprocess.run([PG, action, str(self.dir)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout.strip()

    def kill(self) -> None:
        """SIGKILL the server and all its processes at once, as the OOM killer or a lost host would.

        (Killing the postmaster alone leaves its backends serving open connections for a while.)
        """
        pid = int((self.dir / "data" / "postmaster.pid").read_text().splitlines()[0])
        subprocess.run(["kill", "-9", str(pid), *map(str, _children(pid))], check=False)

    def restart(self) -> None:
        assert self._run("restart") == self.url

    def remove(self) -> None:
        subprocess.run([PG, "stop", str(self.dir)], capture_output=True, timeout=60, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def settings_for(url: str, data_dir: Path, **extra: object) -> Settings:
    return Settings(database_url=url, data_dir=data_dir, log_json=True, **extra)  # type: ignore[arg-type]


@dataclass
class Household:
    """A world with one open plan, and the regisseur's bearer header."""

    world: World
    regisseur: str
    plan_id: str
    headers: dict[str, str]

    def notes(self, settings: Settings) -> list[str]:
        """The texts of all notes on the plan, read from the store by a fresh application."""
        app = build_application(settings)
        try:
            plan = app.plans.plan(self.world.ctx(self.regisseur).actor, self.plan_id)
            return [n["text"] for n in plan.notes]
        finally:
            app.close()


def household(settings: Settings) -> Household:
    app = build_application(settings)
    try:
        world = make_world(app)
        regisseur = world.pros[world.orgs["welfare"]][0]
        plan_id = world.open(regisseur).plan_id
    finally:
        app.close()
    org = world.orgs["welfare"]
    token = mint_dev_token(settings, sub=regisseur, org=org, tenants=[world.tenant], roles=["professional"])
    return Household(world, regisseur, plan_id, {"Authorization": f"Bearer {token}"})


@dataclass
class Stream:
    """Clients sending notes to one plan; a failed note is retried with its Idempotency-Key."""

    base_url: str
    household: Household
    clients: int = 1
    retry: bool = False
    timeout: float = 60.0  # a request unanswered this long counts as a transport error (status 0)
    acked: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    transport_errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._client, daemon=True) for _ in range(self.clients)]
        for t in threads:
            t.start()
        return threads

    def _client(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=self.timeout) as http:
            while not self.stop.is_set():
                self._one_note(http, f"note-{uuid.uuid4().hex}")

    def _one_note(self, http: httpx.Client, text: str) -> None:
        url = f"/plans/{self.household.plan_id}/commands"
        body = {"type": "add_note", "category": "general", "text": text}
        headers = {**self.household.headers, "Idempotency-Key": text}
        while True:
            error = ""
            started = time.monotonic()
            try:
                status = http.post(url, json=body, headers=headers).status_code
            except httpx.TransportError as exc:
                status = 0  # connection refused or reset: the worker died under us
                error = f"{type(exc).__name__}: {exc}"
            took = time.monotonic() - started
            with self.lock:
                self.statuses.append(status)
                if error:
                    self.transport_errors.append(f"{error} after {took:.1f}s")
                if 200 <= status < 300:
                    self.acked.append(text)
            if 200 <= status < 300 or not self.retry or self.stop.is_set():
                return
            time.sleep(0.05)

    def count(self, status: int) -> int:
        with self.lock:
            return self.statuses.count(status)

    def wait_for(self, status: int, more_than: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count(status) > more_than:
                return True
            time.sleep(0.05)
        return False

    def acks(self) -> int:
        with self.lock:
            return len(self.acked)

    def wait_for_acks(self, more_than: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.acks() > more_than:
                return True
            time.sleep(0.05)
        return False
