"""The hash chain on a real store (SQLite and PostgreSQL): tampering with SQL is found and located."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

import pytest

from eenplan.api.bootstrap import Container, build
from eenplan.api.settings import Settings
from eenplan.domain.app import Eenplan
from eenplan.domain.audit.verify import Anchor
from eenplan.domain.errors import RuleViolationError
from tests.factories import World, make_world, with_write_policy
from tests.integration.tamper import RawStore


def plan_with_notes(world: World, notes: int = 4) -> str:
    regisseur = world.pros[world.orgs["welfare"]][0]
    plan_id = world.open(regisseur).plan_id
    for n in range(notes):
        world.run(regisseur, plan_id, type="add_note", category="general", text=f"note {n}")
    return plan_id


def test_an_untouched_store_verifies_intact_with_every_record_counted(
    container: Container, world: World
) -> None:
    plan_with_notes(world)
    verdict = container.audit.verify(None)
    assert verdict.intact, verdict.as_dict()
    assert verdict.checked == container.eenplan.recorder.max_notification_id()
    assert verdict.head is not None and verdict.head.position == verdict.checked


def test_one_changed_byte_in_a_stored_event_is_named_by_plan_and_version(
    container: Container, world: World, settings: Settings
) -> None:
    plan_id = plan_with_notes(world)
    other = plan_with_notes(world)
    RawStore(settings.database_url).flip_one_byte(plan_id, 5)

    for verdict in (container.audit.verify(None), container.audit.verify(None, plan_id)):
        assert verdict.broken is not None
        assert (verdict.broken.plan_id, verdict.broken.version) == (plan_id, 5)
        assert "differs" in verdict.broken.what
    assert container.audit.verify(None, other).intact


def test_a_deleted_event_row_is_named_as_the_gap(
    container: Container, world: World, settings: Settings
) -> None:
    plan_id = plan_with_notes(world)
    RawStore(settings.database_url).delete_event(plan_id, 3)

    for verdict in (container.audit.verify(None), container.audit.verify(None, plan_id)):
        assert verdict.broken is not None
        assert (verdict.broken.plan_id, verdict.broken.version) == (plan_id, 3)
        assert "missing" in verdict.broken.what


def test_a_whole_plan_deleted_with_its_chain_rows_leaves_a_gap_in_the_store_chain(
    container: Container, world: World, settings: Settings
) -> None:
    gone = plan_with_notes(world)
    plan_with_notes(world)
    RawStore(settings.database_url).delete_everything_of(gone)

    verdict = container.audit.verify(None)
    assert verdict.broken is not None
    assert "missing: records were deleted" in verdict.broken.what
    assert verdict.broken.position is not None


def test_two_events_swapped_in_the_log_order_are_caught(
    container: Container, world: World, settings: Settings
) -> None:
    plan_id = plan_with_notes(world)
    RawStore(settings.database_url).swap_log_order(plan_id, 2, 3)

    verdict = container.audit.verify(None, plan_id)
    assert verdict.broken is not None
    assert (verdict.broken.plan_id, verdict.broken.version) == (plan_id, 2)
    assert "reordered" in verdict.broken.what
    assert not container.audit.verify(None).intact


def test_an_event_written_around_the_recorder_is_reported(
    container: Container, world: World, settings: Settings
) -> None:
    plan_id = plan_with_notes(world)
    raw = RawStore(settings.database_url)
    # The newest event keeps its row but loses its chain row: as if inserted with plain SQL.
    last = container.eenplan.repository.get(UUID(plan_id)).version
    raw.run(
        f"DELETE FROM {raw.chain} WHERE originator_id = ? AND originator_version = ?", raw.key(plan_id), last
    )

    for verdict in (container.audit.verify(None), container.audit.verify(None, plan_id)):
        assert verdict.broken is not None
        assert (verdict.broken.plan_id, verdict.broken.version) == (plan_id, last)
        assert "no chain record" in verdict.broken.what


def test_the_newest_records_deleted_are_caught_only_against_a_published_anchor(
    container: Container, world: World, settings: Settings
) -> None:
    plan_with_notes(world)
    published = container.audit.anchor()
    assert published is not None
    RawStore(settings.database_url).delete_chain_tail(2)

    assert container.audit.verify(None).intact  # a clean cut at the end leaves no trace in the chain
    verdict = container.audit.verify(None, against=Anchor.parse(str(published)))
    assert verdict.broken is not None
    assert verdict.broken.position == published.position


def test_an_anchor_still_holds_after_more_events_are_written(container: Container, world: World) -> None:
    plan_id = plan_with_notes(world)
    published = container.audit.anchor()
    world.run(
        world.pros[world.orgs["welfare"]][0], plan_id, type="add_note", category="general", text="later"
    )

    assert container.audit.verify(None, against=published).intact


def test_concurrent_writers_leave_one_unbroken_chain(container: Container, world: World) -> None:
    plans = [plan_with_notes(world, notes=0) for _ in range(4)]
    regisseur = world.pros[world.orgs["welfare"]][0]

    def write(plan_id: str) -> None:
        for n in range(15):
            world.run(regisseur, plan_id, type="add_note", category="general", text=f"n{n}")

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, plans))

    verdict = container.audit.verify(None)
    assert verdict.intact, verdict.as_dict()
    assert verdict.checked == len(
        list(container.eenplan.recorder.select_notifications(start=1, limit=10_000))
    )


def test_an_altered_snapshot_is_found_by_replaying_the_plans_events(
    container: Container, world: World, settings: Settings
) -> None:
    plan_id = plan_with_notes(world, notes=55)  # a snapshot every 50 events
    assert container.audit.verify(None, plan_id).extra["snapshots_checked"] == 1

    # Note texts are encrypted in the snapshot; the plan's status is structure, stored as is.
    version = RawStore(settings.database_url).rewrite_snapshot(plan_id, b'"open"', b'"shut"')
    verdict = container.audit.verify(None, plan_id)
    assert verdict.broken is not None
    assert (verdict.broken.version, verdict.broken.plan_id) == (version, plan_id)
    assert "snapshot" in verdict.broken.what


def test_a_store_written_before_the_chain_existed_is_adopted_once(settings: Settings) -> None:
    unchained = {k: v for k, v in settings.store_env().items() if k != "APPLICATION_RECORDER_TOPIC"}
    legacy = with_write_policy(Eenplan(env=unchained))
    plan_with_notes(make_world(legacy))
    legacy.close()

    container = build(settings)
    try:
        assert "no chain record" in (container.audit.verify(None).broken or _fail()).what
        position = container.audit.adopt()
        verdict = container.audit.verify(None)
        assert verdict.intact and verdict.checked == position > 0
        with pytest.raises(RuleViolationError):
            container.audit.adopt()
    finally:
        container.close()


def _fail() -> Any:
    raise AssertionError("expected a broken link")


def test_erasing_a_person_leaves_the_chain_intact_and_their_values_unreadable(
    container: Container, world: World
) -> None:
    """Erasure destroys keys and appends a receipt event; no stored record is rewritten."""
    from eenplan.privacy.rights import erase_subject
    from tests.factories import ctx_for

    plan_id = plan_with_notes(world)
    member_id = next(iter(container.eenplan.repository.get(UUID(plan_id)).members))
    officer = ctx_for("fg-1", "gemeente", "privacy_officer", tenants=(world.tenant,))
    erase_subject(container.privacy, officer, member_id, legal_ground="avg_art_17")

    assert container.audit.verify(None).intact
    verdict = container.audit.verify(ctx_for("a", "b", "auditor", tenants=(world.tenant,)).actor, plan_id)
    assert verdict.intact, verdict.as_dict()
    history = container.audit.export(ctx_for("a", "b", "auditor", tenants=(world.tenant,)).actor, plan_id)
    opened = next(e for e in history["history"] if e["type"] == "Opened")
    assert "Alex" not in str(opened["data"])
