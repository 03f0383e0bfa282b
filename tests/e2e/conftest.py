"""e2e fixtures: a real `eenplan serve` process on a free loopback port, and tokens for it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from api.auth import mint_dev_token
from api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EENPLAN = Path(sys.executable).parent / "eenplan"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, settings: Settings, workers: int = 1, extra_env: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "EENPLAN_DATABASE_URL": settings.database_url,
            "EENPLAN_DATA_DIR": str(settings.data_dir),
            **(extra_env or {}),
        }
        self.log = settings.data_dir / f"server-{self.port}.log"
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [str(EENPLAN), "serve", "--port", str(self.port), "--workers", str(workers)],
            env=env,
            cwd=ROOT,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        self._wait_until_up()

    def _wait_until_up(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not come up: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    srv = Server(settings)
    try:
        yield srv
    finally:
        srv.stop()


TokenFactory = Callable[..., str]


@pytest.fixture
def token(settings: Settings) -> TokenFactory:
    """Mint a development token the server trusts (same data directory, same key)."""

    def mint(sub: str, org: str, *roles: str, tenants: tuple[str, ...] = ("GM0687",), ttl: int = 3600) -> str:
        return mint_dev_token(
            settings,
            sub=sub,
            org=org,
            tenants=list(tenants),
            roles=list(roles or ("professional",)),
            ttl_seconds=ttl,
        )

    return mint


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c
