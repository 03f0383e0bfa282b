"""Field encryption at the store's edge: a `Mapper` that encrypts personal values.

Before a plan event or a plan snapshot is stored, each personal value (by
`domain.plan.categories`) is replaced by an AES-GCM envelope under its data
subject's key: a member's fields under that member's key, household fields
under the household key. The rest of the record stays readable structure.
On the way back the envelopes are opened; a destroyed key yields the erased
marker, so the history still loads and the aggregate still reconstructs.
The cleartext never reaches the database.
"""

from __future__ import annotations

import copy
from typing import Any

from eventsourcing.domain import Snapshot
from eventsourcing.persistence import Mapper, StoredEvent

from eenplan.domain import intake, topics
from eenplan.domain.intake import categories as intake_categories
from eenplan.domain.plan import HouseholdPlan
from eenplan.domain.plan import events as plan_events
from eenplan.domain.plan.categories import PERSONAL_FIELDS, STATE_FIELDS
from eenplan.domain.plan.personal import ERASED, personal_values
from eenplan.privacy.keys import ENVELOPE, Keyring


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
    if module.startswith(f"{intake.__name__}."):
        # A help request's contact and a signal's person: keyed by their own aggregate's id.
        return intake_categories.PERSONAL_FIELDS.get(type(event).__name__, {})
    return {}


class FieldCipherMapper(Mapper[Any]):
    """Set `keyring` before the first event is stored or read (the composition root does)."""

    keyring: Keyring | None = None

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        paths = personal_paths(domain_event)
        if not paths:
            return super().to_stored_event(domain_event)
        keyring = self._keyring()
        state = copy.deepcopy(dict(vars(domain_event)))
        plan_id = state["originator_id"]
        for found in list(personal_values(state, paths)):
            found.holder[found.key] = keyring.encrypt(key_id(plan_id, found.subject), found.value)
        sealed = object.__new__(type(domain_event))
        object.__setattr__(sealed, "__dict__", state)
        return super().to_stored_event(sealed)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        domain_event = super().to_domain_event(stored_event)
        paths = personal_paths(domain_event)
        if paths:
            keyring = self._keyring()
            for found in list(personal_values(vars(domain_event), paths)):
                if isinstance(found.value, dict) and ENVELOPE in found.value:
                    found.holder[found.key] = keyring.decrypt(found.value, ERASED)
        return domain_event

    def _keyring(self) -> Keyring:
        if self.keyring is None:
            raise RuntimeError("the field-encryption mapper has no keyring; build eenplan via privacy")
        return self.keyring
