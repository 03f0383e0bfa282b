"""e2e fixtures: a real `eenplan serve` process on a free loopback port, and tokens for it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from eenplan.api.http.auth import mint_dev_token
from eenplan.api.settings import Settings
from eenplan.domain.errors import AlreadyExistsError
from tests.e2e.directory_setup import municipality, register_in_store
from tests.e2e.partner_world import open_plan, seed

ROOT = Path(__file__).resolve().parents[2]
EENPLAN = Path(sys.executable).parent / "eenplan"


def socket_free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_port() -> int:
    """A port that was free a moment ago (see `Server` for what happens when it no longer is)."""
    return socket_free_port()


class Server:
    """`eenplan serve` on a free port; another port when the one picked turns out taken.

    Picking a free port and binding it later is a race with every other process on
    the machine (other engineers' test servers among them). A server that cannot bind
    exits; one that did bind is recognised by accepting a token from our data dir.
    """

    ATTEMPTS = 3

    def __init__(self, settings: Settings, workers: int = 1, extra_env: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.log = settings.data_dir / "server.log"
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "EENPLAN_DATABASE_URL": settings.database_url,
            "EENPLAN_DATA_DIR": str(settings.data_dir),
            **(extra_env or {}),
        }
        self.production = env.get("EENPLAN_MODE") == "production"
        for attempt in range(1, self.ATTEMPTS + 1):
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            self.log = settings.data_dir / f"server-{self.port}.log"
            self.process = subprocess.Popen(
                [str(EENPLAN), "serve", "--port", str(self.port), "--workers", str(workers)],
                env=env,
                cwd=ROOT,
                stdout=self.log.open("wb"),
                stderr=subprocess.STDOUT,
            )
            if self._wait_until_up() or attempt == self.ATTEMPTS:
                return
            self.stop()
        raise RuntimeError(f"server did not come up on {self.ATTEMPTS} ports: {self.log.read_text()[-2000:]}")

    def _wait_until_up(self, timeout: float = 60) -> bool:
        """True when our server answers; False when the port proved taken (try another)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if "address already in use" in self.log.read_text().lower():
                    return False
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self._is_ours()
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not come up: {self.log.read_text()[-2000:]}")

    def _is_ours(self) -> bool:
        """Another process on this port would not know our data directory's signing key."""
        if self.production:  # our dev key means nothing to it; being alive is all we can check
            return self.process.poll() is None
        token = mint_dev_token(self.settings, sub="probe", org="probe", tenants=["GM0000"], roles=["admin"])
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.get(f"{self.url}/teams", headers=headers, timeout=10).status_code == 200

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def server(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Server]:
    """A server of the test's own on `settings`; with the `shared_store` marker, the shared one."""
    if request.node.get_closest_marker("shared_store"):
        yield request.getfixturevalue("shared_server")
        return
    srv = Server(settings)
    try:
        yield srv
    finally:
        srv.stop()


TokenFactory = Callable[..., str]


@pytest.fixture
def regisseur_plan(
    server: Server, client: httpx.Client, settings: Settings, token: TokenFactory
) -> tuple[str, str]:
    """A plan opened over HTTP in a partner world of its own (tests.e2e.partner_world), and the
    token of its regisseur."""

    world = seed(settings)
    org = world.orgs["welfare"]
    bearer = token(world.pros[org][0], org)
    return open_plan(client, world, bearer), bearer


def token_factory(settings: Settings) -> TokenFactory:
    """Mint a development token the server on `settings` trusts (same data directory, same key)."""

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
def token(settings: Settings) -> TokenFactory:
    """Mint a development token the server trusts (same data directory, same key)."""
    return token_factory(settings)


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


# --- one server for the whole run ---------------------------------------------------------
# Starting `eenplan serve` costs seconds of CPU; most e2e tests need a server, not an empty
# store. Those opt in with the shared_* fixtures below, or keep `settings`/`server`/`client`/`token`
# and take the `shared_store` marker, which points those at the shared ones. A test may do so when
# it makes its own ids (tests.factories.uid), counts only what it made itself, never tampers with
# the store and needs no server settings of its own; any other test gets a server of its own.


# The tenants whose municipality the shared store has from the start. An administrator's token
# must name an organisation of its tenant once the tenant has any (tests.e2e.directory_setup); in
# a store shared by many tests, whether it has any would depend on which tests ran before.
SHARED_TENANTS = ("GM0687", "GM0363")


@pytest.fixture(scope="session")
def shared_server(shared_settings: Settings) -> Iterator[Server]:
    """One `eenplan serve` on `shared_settings`, for every test of the run that opts in."""
    for code in SHARED_TENANTS:
        # A `shared_store` test with a server of its own (other settings) may have registered it.
        with contextlib.suppress(AlreadyExistsError):
            register_in_store(shared_settings, municipality(code), tenant=code)
    srv = Server(shared_settings)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def shared_token(shared_settings: Settings) -> TokenFactory:
    """Like `token`, for `shared_server`."""
    return token_factory(shared_settings)


@pytest.fixture
def shared_client(shared_server: Server) -> Iterator[httpx.Client]:
    """Like `client`, for `shared_server`; a shared server that died fails the test with its log."""
    if shared_server.process.poll() is not None:
        raise RuntimeError(f"the shared server exited: {shared_server.log.read_text()[-3000:]}")
    with httpx.Client(base_url=shared_server.url, timeout=30) as c:
        yield c


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failing test shows the end of its server's log (its own, or the shared one)."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    args = getattr(item, "funcargs", {})
    shown: set[Path] = set()
    for name in ("server", "shared_server"):
        srv = args.get(name)
        if isinstance(srv, Server) and srv.log not in shown and srv.log.exists():
            shown.add(srv.log)
            report.sections.append((f"Captured {name} log", srv.log.read_text(errors="replace")[-20_000:]))
