"""Break the glass on the real stores (SQLite and PostgreSQL): one open grant, final reviews, the queue.

The privacy module is called directly, as the API calls it; times that must have
passed (a review term) are given as the moment the queue is read at.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from eenplan.api.bootstrap import Container, build
from eenplan.api.settings import Settings
from eenplan.domain import errors
from eenplan.domain.context import Actor
from eenplan.domain.plan.personal import ERASED
from eenplan.privacy import rights
from eenplan.privacy.emergency_queue import QueueFilter
from eenplan.privacy.keys import ENVELOPE
from tests.factories import World, ctx_for

REASON = "Melding acuut gevaar: kind alleen thuis aangetroffen"
VERDICT = "Terecht: de melding van de wijkagent rechtvaardigde inzage"
OFFICER = ctx_for("po-1", "privacy-office", "privacy_officer").actor


def police(world: World, n: int = 0) -> Actor:
    return world.ctx(world.pros[world.orgs["police"]][n]).actor


def opened(world: World) -> str:
    return world.open(world.pros[world.orgs["social_work"]][0]).plan_id


def grant(container: Container, actor: Actor, plan_id: str, command_id: str | None = None) -> dict[str, Any]:
    return container.privacy.emergency.request(actor, plan_id, REASON, command_id or str(uuid.uuid4()), None)


def queue(container: Container, now: datetime | None = None, **wanted: Any) -> list[dict[str, Any]]:
    moment = now or datetime.now(UTC)
    return container.privacy.review_queue.grants(OFFICER.tenants, QueueFilter(**wanted), moment)


def test_a_professional_holds_one_open_grant_per_plan_and_a_repeat_of_its_command_finds_it(
    container: Container, world: World
) -> None:
    plan_id, cop = opened(world), police(world)
    first = grant(container, cop, plan_id, "glass-1")
    again = grant(container, cop, plan_id, "glass-1")
    with pytest.raises(errors.EmergencyAccessOpenError) as refused:
        grant(container, cop, plan_id)
    colleague = grant(container, police(world, 1), plan_id)

    assert again == first and first["categories"] == ["general", "identity", "justice", "safety"]
    assert refused.value.grant_id == first["grant_id"]
    assert colleague["grant_id"] != first["grant_id"]
    assert [g["grant_id"] for g in queue(container)] == [colleague["grant_id"], first["grant_id"]]
    until = container.privacy.emergency.until(cop, plan_id, datetime.now(UTC))
    assert until is not None and until.isoformat(timespec="microseconds") == first["expires_at"]


def test_requests_at_the_same_moment_make_one_grant(container: Container, world: World) -> None:
    plan_id, cop = opened(world), police(world)
    start, outcomes = threading.Barrier(4), []

    def ask() -> None:
        start.wait()
        try:
            outcomes.append(grant(container, cop, plan_id)["grant_id"])
        except errors.EmergencyAccessOpenError as refused:
            outcomes.append(f"refused {refused.grant_id}")

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    made = [o for o in outcomes if not o.startswith("refused")]
    assert len(made) == 1 and sorted(outcomes) == sorted([made[0], *[f"refused {made[0]}"] * 3])
    assert len(queue(container, plan_id=plan_id)) == 1


def test_a_rejection_ends_the_access_at_once_and_a_review_is_final(
    container: Container, world: World
) -> None:
    plan_id, cop = opened(world), police(world)
    first = grant(container, cop, plan_id)
    rejected = container.privacy.emergency.review(
        OFFICER, first["grant_id"], "rejected", VERDICT, "r-1", None
    )
    repeated = container.privacy.emergency.review(
        OFFICER, first["grant_id"], "rejected", VERDICT, "r-1", None
    )
    with pytest.raises(errors.AlreadyReviewedError):
        container.privacy.emergency.review(OFFICER, first["grant_id"], "approved", VERDICT, "r-2", None)
    second = grant(container, cop, plan_id)  # the rejected grant is no longer open
    approved = container.privacy.emergency.review(
        OFFICER, second["grant_id"], "approved", VERDICT, "r-3", None
    )

    assert repeated == rejected and rejected["access_ends_at"] == rejected["reviewed_at"]
    assert approved["access_ends_at"] == second["expires_at"]
    until = container.privacy.emergency.until(cop, plan_id, datetime.now(UTC))
    assert until is not None and until.isoformat(timespec="microseconds") == second["expires_at"]
    entries = {e["grant_id"]: e for e in queue(container, review="decided")}
    assert entries[first["grant_id"]]["active"] is False and entries[second["grant_id"]]["active"] is True
    assert entries[first["grant_id"]]["review"]["reason"] == VERDICT


def test_nobody_reviews_a_grant_outside_their_tenants_or_their_own(
    container: Container, world: World
) -> None:
    plan_id = opened(world)
    made = grant(container, police(world), plan_id)
    elsewhere = ctx_for("po-2", "privacy-office", "privacy_officer", tenants=("GM0363",)).actor
    with pytest.raises(errors.EmergencyGrantNotFoundError):
        container.privacy.emergency.review(elsewhere, made["grant_id"], "approved", VERDICT, "x", None)
    with pytest.raises(errors.NotAllowedError, match="privacy_officer"):
        container.privacy.emergency.review(police(world, 1), made["grant_id"], "approved", VERDICT, "y", None)
    officer_cop = Actor(police(world).sub, police(world).org, frozenset({"privacy_officer"}), OFFICER.tenants)
    with pytest.raises(errors.NotAllowedError, match="their own"):
        container.privacy.emergency.review(officer_cop, made["grant_id"], "approved", VERDICT, "z", None)
    assert queue(container, review="open")[0]["review"] is None


def test_grants_unreviewed_past_the_term_are_overdue_in_the_list_and_the_counts(
    container: Container, world: World
) -> None:
    plan_id = opened(world)
    late, decided = grant(container, police(world), plan_id), grant(container, police(world, 1), plan_id)
    container.privacy.emergency.review(OFFICER, decided["grant_id"], "approved", VERDICT, "r", None)
    term = timedelta(days=container.settings.emergency_review_days)
    soon, later = datetime.now(UTC) + term / 2, datetime.now(UTC) + term + timedelta(minutes=1)

    assert [e["review_status"] for e in queue(container, soon)] == ["approved", "open"]
    assert [e["grant_id"] for e in queue(container, later, review="overdue")] == [late["grant_id"]]
    assert queue(container, soon, review="overdue") == []
    assert [e["grant_id"] for e in queue(container, later, review="open")] == [late["grant_id"]]
    assert container.privacy.review_queue.counts(soon) == {"GM0687": (1, 0)}
    assert container.privacy.review_queue.counts(later) == {"GM0687": (1, 1)}


def test_grants_and_reviews_cannot_be_changed_or_deleted_in_the_database(
    container: Container, world: World
) -> None:
    made = grant(container, police(world), opened(world))
    container.privacy.emergency.review(OFFICER, made["grant_id"], "approved", VERDICT, "r", None)
    store = container.privacy.store
    for statement in (
        "UPDATE privacy_emergency_access SET expires_at = '2099-01-01T00:00:00+00:00'",
        "DELETE FROM privacy_emergency_access",
        "UPDATE privacy_emergency_reviews SET decision = 'rejected'",
        "DELETE FROM privacy_emergency_reviews",
    ):
        with pytest.raises(Exception, match="append-only"):
            store.execute(statement)
    assert queue(container)[0]["review_status"] == "approved"


def test_reasons_are_stored_sealed_and_read_as_erased_once_the_household_is_erased(
    container: Container, world: World
) -> None:
    plan_id = opened(world)
    made = grant(container, police(world), plan_id)
    container.privacy.emergency.review(OFFICER, made["grant_id"], "approved", VERDICT, "r", None)
    stored = container.privacy.store.query("SELECT reason FROM privacy_emergency_access")
    assert stored and all("kind alleen thuis" not in row["reason"] for row in stored)

    (member,) = container.eenplan.plans.plan(OFFICER, plan_id).members
    rights.erase_subject(
        container.privacy, ctx_for("po-1", "privacy-office", "privacy_officer"), member, "avg.17"
    )
    (entry,) = queue(container)
    assert entry["reason"] == ERASED and entry["review"]["reason"] == ERASED


OLD_TABLE = """CREATE TABLE privacy_emergency_access (
    id {serial}, plan_id TEXT NOT NULL, tenant TEXT NOT NULL, sub TEXT NOT NULL, org TEXT NOT NULL,
    reason TEXT NOT NULL, granted_at TEXT NOT NULL, expires_at TEXT NOT NULL, trace_id TEXT)"""
OLD_GRANT = (
    "INSERT INTO privacy_emergency_access (plan_id, tenant, sub, org, reason, granted_at, expires_at) "
    "VALUES ('p-old', 'GM0687', 'pro-old', 'org-old', '{reason}', '2025-03-01T10:00:00+00:00', "
    "'2025-03-01T14:00:00+00:00')"
)


def test_a_grant_made_before_reviews_existed_gets_an_id_and_waits_in_the_queue(settings: Settings) -> None:
    """A store from before this change: its grants table gains the new columns, and the guard."""
    reason = json.dumps({ENVELOPE: "p-old", "erased": True}).replace("'", "''")
    if settings.database_url.startswith("sqlite"):
        with sqlite3.connect(settings.database_url.removeprefix("sqlite:///")) as db:
            db.execute(OLD_TABLE.format(serial="INTEGER PRIMARY KEY AUTOINCREMENT"))
            db.execute(OLD_GRANT.format(reason=reason))
    else:
        with psycopg.connect(settings.database_url, autocommit=True) as db:
            db.execute(OLD_TABLE.format(serial="BIGSERIAL PRIMARY KEY"))
            db.execute(OLD_GRANT.format(reason=reason))
    container = build(settings.model_copy(update={"projections_in_process": False}))
    try:
        container.privacy.keyring.destroy(["p-old"])  # its household was erased: a tombstone, not no row
        (entry,) = container.privacy.review_queue.grants(OFFICER.tenants, QueueFilter(), datetime.now(UTC))
        reviewed = container.privacy.emergency.review(
            OFFICER, entry["grant_id"], "approved", VERDICT, "r", None
        )
        with pytest.raises(Exception, match="append-only"):
            container.privacy.store.execute("DELETE FROM privacy_emergency_access")
    finally:
        container.close()
    assert uuid.UUID(entry["grant_id"]) and entry["review_status"] == "overdue" and entry["reason"] == ERASED
    assert (entry["org_kind"], entry["categories"], entry["active"]) == (None, None, False)
    assert reviewed["decision"] == "approved"
