"""/metrics as Prometheus reads it: names by the convention (durations in seconds, counters `_total`),
`promtool check metrics` clean, and the exposition format that `Accept` asks for."""

from __future__ import annotations

import re
import shutil
import subprocess

import httpx
import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import TokenFactory
from tests.e2e.directory_setup import setup_tenant

OPENMETRICS = "application/openmetrics-text"


def _exercised(client: httpx.Client, mint: TokenFactory) -> None:
    """Requests and commands, so the HTTP and command histograms have samples."""
    tenant = setup_tenant(client, mint)
    regisseur = tenant.pro("welfare")
    plan_id = tenant.open_plan(regisseur)["plan_id"]
    assert (
        tenant.command(regisseur, plan_id, type="add_note", text="x", category="general").status_code == 200
    )


def test_the_prometheus_text_follows_the_naming_rules_with_durations_in_seconds(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    _exercised(shared_client, shared_token)
    response = shared_client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    assert "http_server_request_duration_seconds" in families
    assert "eenplan_command_duration_seconds" in families
    for name, family in families.items():
        assert not re.search(r"_(milliseconds|ms|microseconds)(_|$)", name), name
        if family.type == "histogram":
            bounds = sorted(
                float(s.labels["le"])
                for s in family.samples
                if s.name.endswith("_bucket") and s.labels["le"] != "+Inf"
            )
            if name.endswith("_seconds"):
                assert bounds and bounds[-1] <= 60, (name, bounds)  # seconds, not milliseconds' buckets
        if family.type == "counter":
            assert all(s.name.endswith(("_total", "_created")) for s in family.samples), name
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip(
            "promtool is not installed (apt-get install prometheus); the naming rules are checked above"
        )
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=response.content, capture_output=True, timeout=60, check=False
    )
    assert checked.returncode == 0, checked.stdout.decode() + checked.stderr.decode()


def test_the_exposition_format_follows_accept(shared_client: httpx.Client) -> None:
    shared_client.get("/health")
    asked = shared_client.get("/metrics", headers={"Accept": f"{OPENMETRICS}; version=1.0.0"})
    assert asked.status_code == 200
    assert asked.headers["content-type"].startswith(f"{OPENMETRICS}; version=1.0.0")
    assert asked.text.endswith("# EOF\n")
    families = {f.name for f in openmetrics_families(asked.text)}  # the strict OpenMetrics parser
    assert "http_server_request_duration_seconds" in families
    # What the Prometheus server sends: OpenMetrics first, the text format as the fall-back.
    scrape = f"{OPENMETRICS};version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
    assert (
        shared_client.get("/metrics", headers={"Accept": scrape})
        .headers["content-type"]
        .startswith(OPENMETRICS)
    )
    for accept in ("text/plain", "*/*"):
        plain = shared_client.get("/metrics", headers={"Accept": accept})
        assert plain.headers["content-type"].startswith("text/plain"), accept
        assert "# EOF" not in plain.text
    assert shared_client.get("/metrics", headers={"Accept": "application/json"}).status_code == 406
