"""The CLI and the two modes: demo data, dev tokens, and production's refusals."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import time
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from eenplan.api.settings import Settings
from tests.e2e.conftest import EENPLAN, ROOT, Server
from tests.e2e.directory_setup import register_in_store


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "EENPLAN_DATABASE_URL": settings.database_url,
        "EENPLAN_DATA_DIR": str(settings.data_dir),
        **extra,
    }


def _cli(settings: Settings, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(EENPLAN), *args],
        env=_env(settings, **extra),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_demo_loads_once_and_its_tokens_read_its_plans(settings: Settings) -> None:
    first = _cli(settings, "demo", "--if-empty")
    assert first.returncode == 0, first.stderr
    second = _cli(settings, "demo", "--if-empty")
    assert "already holds data" in second.stdout and "# p-chantal" in second.stdout
    plan_id = first.stdout.split("Pietersen")[1].split()[0]
    shown = _cli(settings, "demo", "--show")
    for later in (second, shown):  # the plan ids again, on every start and on demand
        assert later.stdout.split("Pietersen")[1].split()[0] == plan_id, later.stdout
    assert (
        first.stdout.split("Plans:")[1].split("Tokens")[0]
        == shown.stdout.split("Plans:")[1].split("Tokens")[0]
    )
    token = first.stdout.split("# p-chantal")[1].splitlines()[1]
    server = Server(settings)
    try:
        response = httpx.get(f"{server.url}/plans/{plan_id}", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        assert response.json()["risk"]["level"] == "medium"
    finally:
        server.stop()


def test_a_token_from_the_cli_is_accepted_by_the_server(settings: Settings) -> None:
    minted = _cli(
        settings, "token", "--sub", "p1", "--org", "o1", "--tenant", "GM0687", "--role", "professional"
    )
    assert minted.returncode == 0, minted.stderr
    register_in_store(settings, "o1", "p1")
    server = Server(settings)
    try:
        response = httpx.get(
            f"{server.url}/teams", headers={"Authorization": f"Bearer {minted.stdout.strip()}"}
        )
        assert response.status_code == 200
    finally:
        server.stop()


def _rsa_key(path: Path) -> rsa.RSAPrivateKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return key


def test_production_verifies_rs256_tokens_against_the_configured_key(
    settings: Settings, tmp_path: Path
) -> None:
    key = _rsa_key(tmp_path / "idp.pem")
    env = {
        "EENPLAN_MODE": "production",
        "EENPLAN_JWT_PUBLIC_KEY_FILE": str(tmp_path / "idp.pem"),
        "EENPLAN_JWT_ISSUER": "https://idp.example",
        "EENPLAN_JWT_AUDIENCE": "eenplan",
        "EENPLAN_SIGNAL_KEY": "a-real-production-secret-for-signal-pseudonyms",
        "EENPLAN_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
    }
    register_in_store(
        settings.model_copy(update={"master_key": SecretStr(env["EENPLAN_MASTER_KEY"])}), "o1", "p1"
    )
    server = Server(settings, extra_env=env)
    try:
        claims = {
            "sub": "p1",
            "org": "o1",
            "tenants": ["GM0687"],
            "roles": ["professional"],
            "iss": "https://idp.example",
            "aud": "eenplan",
            "exp": int(time.time()) + 60,
        }
        good = jwt.encode(claims, key, algorithm="RS256")
        assert (
            httpx.get(f"{server.url}/teams", headers={"Authorization": f"Bearer {good}"}).status_code == 200
        )
        dev = _cli(
            settings, "token", "--sub", "p1", "--org", "o1", "--tenant", "GM0687", "--role", "admin", **env
        )
        assert dev.returncode != 0  # production mode mints no development tokens
        wrong_iss = jwt.encode(dict(claims, iss="https://evil.example"), key, algorithm="RS256")
        assert (
            httpx.get(f"{server.url}/teams", headers={"Authorization": f"Bearer {wrong_iss}"}).status_code
            == 401
        )
    finally:
        server.stop()


@pytest.mark.parametrize("case", ["no-key", "dev-key"])
def test_production_refuses_to_start_without_a_real_key(settings: Settings, case: str) -> None:
    env = {"EENPLAN_MODE": "production", "EENPLAN_JWT_ISSUER": "https://idp.example"}
    if case == "dev-key":
        assert (
            _cli(
                settings, "token", "--sub", "x", "--org", "y", "--tenant", "GM0687", "--role", "admin"
            ).returncode
            == 0
        )
        env["EENPLAN_JWT_PUBLIC_KEY_FILE"] = str(settings.dev_signing_key_file)
    process = subprocess.run(
        [str(EENPLAN), "serve", "--port", "0"],
        env=_env(settings, **env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert process.returncode != 0
    assert "production" in (process.stderr + process.stdout).lower()


def test_the_server_log_says_where_it_listens_in_the_log_format(shared_server: Server) -> None:
    # Complete lines only: the shared server may be writing the last request's line just now.
    complete = shared_server.log.read_text().split("\n")[:-1]
    lines = [json.loads(raw) for raw in complete if raw.startswith("{")]
    running = [line for line in lines if line["event"].startswith("Uvicorn running on")]
    assert running and f"http://127.0.0.1:{shared_server.port}" in running[0]["event"]
    assert running[0]["logger"] == "uvicorn.error" and running[0]["level"] == "info"


def _health_on(sock: socket.socket) -> bytes:
    """One whole answer to GET /health on an open connection, its status line first."""
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: eenplan\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(65536)
    head, _, body = answer.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1))  # type: ignore[union-attr]
    while len(body) < length:
        body += sock.recv(65536)
    return answer


def test_an_idle_keep_alive_connection_stays_open_past_uvicorns_five_seconds_and_as_long_as_set(
    settings: Settings, shared_server: Server
) -> None:
    """A client that sends on a connection just as the server closes it gets no answer at all
    (httpx: "Server disconnected"), so the server must not close before the client's pool does."""
    short = Server(settings, extra_env={"EENPLAN_KEEP_ALIVE_SECONDS": "1"})
    try:
        with (
            socket.create_connection(("127.0.0.1", shared_server.port), timeout=10) as default,
            socket.create_connection(("127.0.0.1", short.port), timeout=10) as closing,
        ):
            assert _health_on(default).startswith(b"HTTP/1.1 200")
            assert _health_on(closing).startswith(b"HTTP/1.1 200")
            started = time.monotonic()
            assert closing.recv(1) == b"", "closed by the server once idle for the set second"
            assert time.monotonic() - started < 5
            time.sleep(max(0.0, 6.0 - (time.monotonic() - started)))
            assert _health_on(default).startswith(b"HTTP/1.1 200"), "idle for 6 s and still open"
    finally:
        short.stop()


def test_demo_show_on_a_store_without_the_demo_says_how_to_load_it(settings: Settings) -> None:
    shown = _cli(settings, "demo", "--show")
    assert shown.returncode == 0, shown.stderr
    assert "No demo plans in this store" in shown.stdout and "# p-chantal" in shown.stdout
