"""Field encryption at the store's edge: a `Mapper` that encrypts personal values.

Before a plan event or a plan snapshot is stored, each personal value (by
`domain.plan.categories`) is replaced by an AES-GCM envelope under its data
subject's key: a member's fields under that member's key, household fields
under the household key. The rest of the record stays readable structure.

Each envelope is bound (as associated data) to what steers who may see it: the
stored topic (the event type), the record (aggregate id and version), the data
subject and the category. Changing any of them in the database makes the value
fail to open, and the read fails with a `RecordIntegrityError` that names the
record and the field, instead of showing the value to whom it was not meant for.

On the way back the envelopes are opened; a destroyed key yields the erased
marker, so the history still loads and the aggregate still reconstructs.
The cleartext never reaches the database.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Snapshot
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

from eenplan.domain import intake, topics
from eenplan.domain.errors import RecordIntegrityError
from eenplan.domain.intake import categories as intake_categories
from eenplan.domain.plan import HouseholdPlan, matching
from eenplan.domain.plan import events as plan_events
from eenplan.domain.plan.categories import PERSONAL_FIELDS, STATE_FIELDS
from eenplan.domain.plan.personal import ERASED, PersonalValue, copied_along, personal_values
from eenplan.privacy.keys import ENVELOPE, VERSION, Keyring, fresh_keys


def key_id(plan_id: Any, subject: str | None) -> str:
    """The household key is the plan id; a member's key is `plan id:member id`."""
    return f"{plan_id}" if subject is None else f"{plan_id}:{subject}"


def personal_paths(event: Any) -> dict[str, str]:
    """Where the personal values of this event (or snapshot) are."""
    if isinstance(event, Snapshot):
        is_plan = topics.is_of(event.topic, HouseholdPlan)
        return {f"state.{p}": c for p, c in STATE_FIELDS.items()} if is_plan else {}
    module = type(event).__module__
    if module == plan_events.__name__:
        return PERSONAL_FIELDS.get(type(event).__name__, {})
    if module == matching.__name__:
        # The household index: a claim's plan id (and pseudonyms) under the member's own key.
        return matching.PERSONAL_FIELDS.get(type(event).__name__, {})
    if module.startswith(f"{intake.__name__}."):
        # A help request's contact and a signal's person: keyed by their own aggregate's id.
        return intake_categories.PERSONAL_FIELDS.get(type(event).__name__, {})
    return {}


def binding(topic: str, record_id: Any, version: int, found: PersonalValue) -> dict[str, Any]:
    """What a value is bound to: the fields that decide who may see it, and where it belongs."""
    return {
        "type": topic,
        "record": str(record_id),
        "version": version,
        "subject": found.subject,
        "category": found.category,
    }


class FieldCipherMapper(Mapper[Any]):
    """Set `keyring` before the first event is stored or read (the composition root does)."""

    keyring: Keyring | None = None

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        paths = personal_paths(domain_event)
        if not paths:
            return super().to_stored_event(domain_event)
        keyring = self._keyring()
        state = copied_along(vars(domain_event), paths)  # the event or aggregate stays as it is
        record, version = state["originator_id"], state["originator_version"]
        topic = get_topic(type(domain_event))
        with fresh_keys():  # one read of the key generation for the record, inside a request none
            for found in list(personal_values(state, paths)):
                bound = binding(topic, record, version, found)
                found.holder[found.key] = keyring.encrypt(key_id(record, found.subject), found.value, bound)
        sealed = object.__new__(type(domain_event))
        object.__setattr__(sealed, "__dict__", state)
        return super().to_stored_event(sealed)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        domain_event = super().to_domain_event(stored_event)
        paths = personal_paths(domain_event)
        if paths:
            with fresh_keys():
                self.open_values(domain_event, paths, stored_event.topic)
        return domain_event

    def open_values(self, domain_event: Any, paths: dict[str, str], topic: str) -> None:
        """Open every envelope in place; a value that does not open names its record and field."""
        keyring = self._keyring()
        record, version = domain_event.originator_id, domain_event.originator_version
        for found in list(personal_values(vars(domain_event), paths)):
            envelope = found.value
            if not (isinstance(envelope, dict) and ENVELOPE in envelope):
                continue
            bound = binding(topic, record, version, found)
            expected = key_id(record, found.subject)
            try:
                if envelope.get("v") == VERSION and envelope[ENVELOPE] != expected:
                    raise keyring.integrity_failure(expected, "names another data key than its subject's")
                found.holder[found.key] = keyring.decrypt(envelope, ERASED, bound)
            except RecordIntegrityError as failed:
                raise RecordIntegrityError(record, version, found.path, failed.reason) from None

    def _keyring(self) -> Keyring:
        if self.keyring is None:
            raise RuntimeError("the field-encryption mapper has no keyring; build eenplan via privacy")
        return self.keyring
