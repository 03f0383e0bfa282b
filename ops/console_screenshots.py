"""Screenshots of the console's six parts (ops/console-screenshots DIR), on the demo data.

A throwaway store gets the demo, then over HTTP what the demo lacks for the console: a police
organisation on the Pietersen plan's care team, a health note it may never see, a break-the-glass
grant on the El Amrani plan, and an erasure on the closed de Jong plan. The server starts with a
second write policy (team leads no longer close plans), so the policy page has two versions to
compare. Last, one byte of a stored El Amrani event is flipped, as an intruder with database
access would, for a picture of a broken chain (2b). Headless Chromium photographs the pages.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from eenplan.api.bootstrap import build_application
from eenplan.api.cli import demo
from eenplan.api.http.auth import mint_dev_token
from eenplan.api.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
EENPLAN = Path(sys.executable).parent / "eenplan"
GEMEENTE = "gemeente-middelburg"
POLICE, AGENT, DETECTIVE = "politie-zeeland", "p-wijkagent", "p-rechercheur"


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="eenplan-shots-") as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/eenplan.db", data_dir=Path(tmp) / "data")
        env = {
            **os.environ,
            "EENPLAN_DATABASE_URL": settings.database_url,
            "EENPLAN_DATA_DIR": str(settings.data_dir),
        }
        subprocess.run([str(EENPLAN), "demo"], env=env, cwd=ROOT, check=True, capture_output=True)
        app = build_application(settings)
        try:
            plans = demo.find(app)
        finally:
            app.close()
        policy = Path(tmp) / "write-policy.yaml"
        source = (ROOT / "src" / "privacy" / "write-policy.yaml").read_text(encoding="utf-8")
        policy.write_text(
            source.replace('version: "2026.2"', 'version: "2026.2-demo"').replace(
                "close_plan: [regisseur, team_lead]", "close_plan: [regisseur]"
            ),
            encoding="utf-8",
        )
        env["EENPLAN_WRITE_POLICY_FILE"] = str(policy)
        port = _free_port()
        server = subprocess.Popen(
            [str(EENPLAN), "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait(base)
            member = _fill(base, settings, plans)
            _photograph(base, out, plans, member)
            _flip_one_byte(Path(tmp) / "eenplan.db", plans["El Amrani"], version=2)
            _photograph_broken(base, out, plans["El Amrani"])
        finally:
            server.terminate()
            server.wait(timeout=20)
    for shot in sorted(out.glob("*.png")):
        print(shot)


def _fill(base: str, settings: Settings, plans: dict[str, str]) -> str:
    def bearer(sub: str, org: str, *roles: str) -> dict[str, str]:
        token = mint_dev_token(settings, sub=sub, org=org, tenants=[demo.TENANT], roles=list(roles))
        return {"Authorization": f"Bearer {token}"}

    with httpx.Client(base_url=base, timeout=30) as http:
        admin = bearer("demo-admin", GEMEENTE, "admin")
        org = {"id": POLICE, "name": "Politie Zeeland", "kind": "police", "tenants": [demo.TENANT]}
        _ok(http.post("/organisations", json=org, headers=admin))
        for pro in (AGENT, DETECTIVE):
            person = {"id": pro, "name": pro, "team_ids": [demo.TEAM], "capacity": 5}
            _ok(http.post(f"/organisations/{POLICE}/professionals", json=person, headers=admin))
        regisseur, pietersen = bearer("p-chantal", "mw-walcheren", "professional"), plans["Pietersen"]
        note = {
            "type": "add_note",
            "category": "health",
            "text": "Diagnose depressie, behandeling bij de GGZ",
        }
        _ok(http.post(f"/plans/{pietersen}/commands", json=note, headers=regisseur))
        join = {"type": "join_care_team", "professional_id": AGENT, "role": "wijkagent"}
        _ok(http.post(f"/plans/{pietersen}/commands", json=join, headers=regisseur))
        accept = {"type": "accept_proposal", "proposal_id": f"careteam-{AGENT}"}
        _ok(
            http.post(
                f"/plans/{pietersen}/commands", json=accept, headers=bearer(AGENT, POLICE, "professional")
            )
        )
        reason = {"reason": "melding huiselijk geweld vannacht, kinderen mogelijk in gevaar volgens buren"}
        glass = bearer(DETECTIVE, POLICE, "professional")
        _ok(http.post(f"/plans/{plans['El Amrani']}/emergency-access", json=reason, headers=glass))
        officer = bearer("demo-privacy", GEMEENTE, "privacy_officer")
        closed = http.get(
            f"/plans/{plans['de Jong']}", headers=bearer("demo-auditor", GEMEENTE, "auditor")
        ).json()
        erase = {"reason": "verzoek van betrokkene", "legal_ground": "avg_art17_1a"}
        _ok(http.post(f"/subjects/{closed['members'][0]['member_id']}/erasure", json=erase, headers=officer))
        plan = http.get(f"/plans/{pietersen}", headers=regisseur).json()
        return str(plan["members"][0]["member_id"])


def _photograph(base: str, out: Path, plans: dict[str, str], member: str) -> None:
    browser = _browser()
    try:
        _sign_in(browser, base, "demo-auditor", "auditor")
        browser.get(f"{base}/console/plannen/{plans['Pietersen']}")
        Select(browser.find_element(By.ID, "bekeken_als")).select_by_value(POLICE)
        browser.find_element(By.ID, "toon").click()
        _shot(browser, out / "1-plan.png", "beleidsversie")
        browser.get(f"{base}/console/integriteit?plan_id={plans['Pietersen']}")
        _shot(browser, out / "2-integriteit.png", "plan-status")
        browser.get(f"{base}/console/beleid")
        browser.find_element(By.ID, "vergelijk-schrijven").click()
        _shot(browser, out / "6-beleid.png", "verschil")
        _sign_in(browser, base, "demo-privacy", "privacy_officer")
        browser.get(f"{base}/console/inzage?member_id={member}")
        _shot(browser, out / "3-inzage.png", "verwerkingen")
        browser.get(f"{base}/console/noodtoegang")
        _shot(browser, out / "4-noodtoegang.png", "inhoud")
        browser.get(f"{base}/console/wissen")
        _shot(browser, out / "5-wissen.png", "bewijzen")
    finally:
        browser.quit()


def _flip_one_byte(database: Path, plan_id: str, version: int) -> None:
    """What an intruder with access to the database might do: change a stored event in place."""
    key = plan_id.replace("-", "")
    with sqlite3.connect(database) as db:
        where = "WHERE originator_id = ? AND originator_version = ?"
        (state,) = db.execute(f"SELECT state FROM stored_events {where}", (key, version)).fetchone()  # noqa: S608
        changed = bytearray(state)
        changed[len(changed) // 2] ^= 0x01
        db.execute(f"UPDATE stored_events SET state = ? {where}", (bytes(changed), key, version))  # noqa: S608


def _photograph_broken(base: str, out: Path, plan_id: str) -> None:
    browser = _browser()
    try:
        _sign_in(browser, base, "demo-auditor", "auditor")
        browser.get(f"{base}/console/integriteit?plan_id={plan_id}")
        _shot(browser, out / "2b-integriteit-gebroken.png", "plan-status")
    finally:
        browser.quit()


def _browser() -> WebDriver:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(argument)
    browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    browser.implicitly_wait(10)  # find_element waits for the page a click leads to
    return browser


def _sign_in(browser: WebDriver, base: str, sub: str, role: str) -> None:
    browser.delete_all_cookies()
    browser.get(f"{base}/console/aanmelden")
    box = browser.find_element(By.ID, "sub")
    box.clear()
    box.send_keys(sub)
    Select(browser.find_element(By.ID, "role")).select_by_value(role)
    browser.find_element(By.ID, "aanmelden-ontwikkeling").click()
    browser.find_element(By.CSS_SELECTOR, "ul.delen")  # the front page: signed in


def _shot(browser: WebDriver, path: Path, waits_for: str) -> None:
    browser.find_element(By.ID, waits_for)  # the page has loaded (implicit wait)
    height = int(browser.execute_script("return document.documentElement.scrollHeight"))
    browser.set_window_size(1280, min(max(height, 900), 4000))
    browser.save_screenshot(str(path))
    browser.set_window_size(1280, 900)


def _ok(response: httpx.Response) -> Any:
    if response.status_code >= 300:
        raise SystemExit(
            f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
        )
    return response


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("the server did not come up")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
