"""Values bound to what decides who sees them, on the real stores (SQLite and PostgreSQL).

Someone with write access to the database changes a stored note: its category, its
ciphertext, or the value itself for an "erased" marker, and then rewrites the hash chain
so the links still hold. The read fails as an integrity error (never the police reading a
health note, never "[erased]"), and verification names the record and the field.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import pytest

from eenplan.api.bootstrap import Container, build
from eenplan.api.settings import Settings
from eenplan.domain.errors import RecordIntegrityError
from tests.factories import World
from tests.integration.tamper import RawStore

NOTE = "Depressieve klachten, behandeling bij de GGZ"


@pytest.fixture
def fresh(container_settings: Settings) -> Iterator[Callable[[], Container]]:
    """A new process on the same store: nothing cached from before the edit."""
    built: list[Container] = []

    def make() -> Container:
        built.append(build(container_settings))
        return built[-1]

    yield make
    for c in built:
        c.close()


def health_note(world: World) -> tuple[str, int, str, str]:
    """A plan with a health note and the police on its care team: (plan, note version, regisseur, police)."""
    regisseur = world.pros[world.orgs["social_work"]][0]
    police = world.pros[world.orgs["police"]][0]
    plan_id = world.open(regisseur).plan_id
    world.join(regisseur, plan_id, police, "wijkagent")
    version = world.run(regisseur, plan_id, type="add_note", category="health", text=NOTE).version
    world.run(regisseur, plan_id, type="add_note", category="safety", text="veiligheidsplan")
    return plan_id, version, regisseur, police


def flip_ciphertext(data: dict[str, Any]) -> None:
    sealed = bytearray(base64.b64decode(data["text"]["c"]))
    sealed[0] ^= 0x01
    data["text"]["c"] = base64.b64encode(bytes(sealed)).decode()


def mark_erased(data: dict[str, Any]) -> None:
    data["text"] = {"$enc": data["text"]["$enc"], "v": data["text"]["v"], "erased": True}


@pytest.mark.parametrize(
    "edit",
    [lambda d: d.update(category="safety"), flip_ciphertext, mark_erased],
    ids=["category-changed", "ciphertext-changed", "value-replaced-by-erased-marker"],
)
def test_an_edited_note_fails_as_an_integrity_error_and_verification_names_it(
    world: World, settings: Settings, fresh: Callable[[], Container], edit: Callable[[dict[str, Any]], None]
) -> None:
    plan_id, version, regisseur, police = health_note(world)
    raw = RawStore(settings.database_url)
    raw.rewrite_event(plan_id, version, edit)
    raw.relink_chain()  # the links hold again: only the envelope's binding can tell

    again = fresh()
    for reader in (world.ctx(regisseur).actor, world.ctx(police).actor):
        with pytest.raises(RecordIntegrityError) as failed:
            again.reader.plan(reader, plan_id)
        assert (failed.value.record_id, failed.value.version, failed.value.where) == (
            plan_id,
            version,
            "text",
        )
    with pytest.raises(RecordIntegrityError):
        again.reader.history(world.ctx(regisseur).actor, plan_id)
    for verdict in (again.audit.verify(None), again.audit.verify(None, plan_id)):
        assert verdict.broken is not None, verdict.as_dict()
        assert (verdict.broken.plan_id, verdict.broken.version) == (plan_id, version)
        assert "integrity check at text" in verdict.broken.what


def test_the_same_edit_without_relinking_is_already_a_broken_link(
    world: World, settings: Settings, fresh: Callable[[], Container]
) -> None:
    plan_id, version, _regisseur, _police = health_note(world)
    RawStore(settings.database_url).rewrite_event(plan_id, version, lambda d: d.update(category="safety"))
    verdict = fresh().audit.verify(None, plan_id)
    assert verdict.broken is not None and verdict.broken.version == version
    assert "differs from what was hashed" in verdict.broken.what


def test_a_snapshot_whose_note_category_was_changed_does_not_open(
    container: Container, world: World, settings: Settings, fresh: Callable[[], Container]
) -> None:
    plan_id, _version, _regisseur, police = health_note(world)
    container.eenplan.take_snapshot(UUID(plan_id))
    RawStore(settings.database_url).rewrite_snapshot(plan_id, b'"category":"health"', b'"category":"safety"')

    again = fresh()
    with pytest.raises(RecordIntegrityError):
        again.reader.plan(world.ctx(police).actor, plan_id)
    verdict = again.audit.verify(None, plan_id)
    assert verdict.broken is not None and "snapshot fails its integrity check" in verdict.broken.what


def test_an_untouched_plan_still_reads_and_verifies(world: World, fresh: Callable[[], Container]) -> None:
    plan_id, _version, regisseur, police = health_note(world)
    again = fresh()
    assert NOTE in [n["text"] for n in again.reader.plan(world.ctx(regisseur).actor, plan_id)["notes"]]
    police_view = again.reader.plan(world.ctx(police).actor, plan_id)
    assert {n["category"] for n in police_view["notes"]} == {"safety"}
    assert again.audit.verify(None, plan_id).intact
