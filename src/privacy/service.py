"""The privacy module, composed: policy, keys, processing log and emergency access on one store.

Break the glass and its review queue live in `privacy.emergency` and
`privacy.emergency_queue`; this room builds them (`emergency`, `review_queue`).

`Privacy.attach(eenplan, config)` is called once by the composition root: it
creates the privacy tables, records the policy version, and gives the
application's field-encryption mapper its keyring.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eenplan.domain import errors
from eenplan.domain.app import Eenplan
from eenplan.domain.context import Actor
from eenplan.domain.plan import HouseholdPlan
from eenplan.domain.plan.categories import STATE_FIELDS
from eenplan.domain.plan.personal import erase
from eenplan.domain.values import Role
from eenplan.privacy import erasure_jobs
from eenplan.privacy.emergency import EmergencyAccess, EmergencyTerms
from eenplan.privacy.emergency_queue import ReviewQueue
from eenplan.privacy.filter import Caller
from eenplan.privacy.keys import CACHE_SIZE, Keyring, derive
from eenplan.privacy.mapper import FieldCipherMapper
from eenplan.privacy.policy import Policy, load_policy
from eenplan.privacy.processing import ProcessingLog
from eenplan.privacy.register import ActivityRegister
from eenplan.privacy.scrub import Scrubber
from eenplan.privacy.store import PrivacyStore
from eenplan.privacy.views import plan_view

MAPPER_ENV = {"MAPPER_TOPIC": "eenplan.privacy.mapper:FieldCipherMapper"}


@dataclass(frozen=True)
class PrivacyConfig:
    master_key: bytes
    policy_file: Path | None = None
    emergency_hours: float = 4.0
    emergency_review_days: float = 5.0
    retention_years: dict[str, int] = field(default_factory=lambda: {"jeugdwet": 20, "default": 15})
    # How long an erasure waits for old row versions to leave the store's files before it
    # answers "pending" (housekeeping completes it later); see privacy.scrub.
    erasure_wait_seconds: float = 10.0
    # Where this server is reached: processing-log lines point into its register of activities.
    public_url: str = "http://localhost:8000"
    # Unwrapped data keys cached per process (privacy.keys); 0 caches none.
    key_cache_size: int = CACHE_SIZE


class Privacy:
    def __init__(self, eenplan: Eenplan, config: PrivacyConfig) -> None:
        self.eenplan = eenplan
        self.config = config
        self.store = PrivacyStore.for_recorder(eenplan.recorder)
        self.store.create_tables()
        self.policy: Policy = load_policy(config.policy_file)
        self._kinds: dict[str, str] = {}  # organisation id -> kind (see organisation_kind)
        self.keyring = Keyring(self.store, config.master_key, config.key_cache_size)
        self.register = ActivityRegister(self.store, config.public_url)
        self.register.record()
        self.log = ProcessingLog(
            self.store, derive(config.master_key, "pseudonyms"), self.policy, self.register
        )
        terms = EmergencyTerms(hours=config.emergency_hours, review_days=config.emergency_review_days)
        self.emergency = EmergencyAccess(eenplan, self.store, self.keyring, self.policy, terms)
        self.review_queue = ReviewQueue(self.store, self.keyring, terms.review_days)
        # Erasure beyond the keys (privacy.erasure): the composition root adds what other rooms
        # keep about a command (its stored answer), and tables for the scrubber to vacuum.
        erasure_jobs.create_table(self.store)
        self.erasure_hooks: list[Any] = []
        self.scrubber = Scrubber(self.store)

    @classmethod
    def attach(cls, eenplan: Eenplan, config: PrivacyConfig) -> Privacy:
        privacy = cls(eenplan, config)
        if not isinstance(eenplan.mapper, FieldCipherMapper):
            raise RuntimeError(
                "build Eenplan with privacy.service.MAPPER_ENV so personal fields are encrypted"
            )
        eenplan.mapper.keyring = privacy.keyring
        privacy.record_policy()
        return privacy

    def record_policy(self) -> None:
        """Remember each policy version the first time it is in force, for auditors."""
        self.store.execute(
            "INSERT INTO privacy_policies (sha256, version, first_loaded_at, source) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (sha256) DO NOTHING",
            (self.policy.sha256, self.policy.version, _now().isoformat(), self.policy.source),
        )

    def policy_at(self, moment: datetime) -> Policy:
        """The policy in force at a moment: the last one first loaded before it."""
        rows = self.store.query(
            "SELECT source FROM privacy_policies WHERE first_loaded_at <= ? "
            "ORDER BY first_loaded_at DESC LIMIT 1",
            (moment.astimezone(UTC).isoformat(),),
        )
        return Policy.parse(rows[0]["source"], recorded=True) if rows else self.policy

    def policies(self) -> list[dict[str, Any]]:
        return self.store.query(
            "SELECT version, sha256, first_loaded_at FROM privacy_policies ORDER BY first_loaded_at"
        )

    def policy_source(self, sha256: str) -> str | None:
        """The text of a recorded read policy version, for auditors comparing two."""
        rows = self.store.query("SELECT source FROM privacy_policies WHERE sha256 = ?", (sha256,))
        return str(rows[0]["source"]) if rows else None

    # --- the inputs of the filter ---------------------------------------------------------

    def caller(self, actor: Actor, plan: HouseholdPlan, now: datetime) -> Caller:
        return self.caller_for(actor, plan.team_id, str(plan.id), now)

    def caller_for(self, actor: Actor, team_id: str | None, plan_id: str | None, now: datetime) -> Caller:
        """The caller with its organisation's kind, team lead standing and emergency grant."""
        until = self.emergency.until(actor, plan_id, now) if plan_id else None
        return self.caller_with(actor, team_id, until)

    def caller_with(self, actor: Actor, team_id: str | None, emergency_until: datetime | None) -> Caller:
        """As `caller_for`, with the emergency grant's end already looked up."""
        return Caller(
            actor=actor,
            org_kind=self.organisation_kind(actor.org),
            leads_team=team_id is not None and self._leads(actor, team_id),
            emergency_until=emergency_until,
        )

    def organisation_kind(self, organisation_id: str) -> str | None:
        # An organisation's kind is given when it registers and never changes (its only event):
        # once known it is kept, so a read does not look it up in the store again.
        kind = self._kinds.get(organisation_id)
        if kind is not None:
            return kind
        try:
            kind = self.eenplan.directory.organisation(organisation_id).kind
        except errors.UnknownReferenceError:
            return None  # not kept: it may be registered yet
        self._kinds[organisation_id] = kind
        return kind

    def _leads(self, actor: Actor, team_id: str) -> bool:
        if not actor.has_role(Role.TEAM_LEAD):
            return False
        try:
            return team_id in self.eenplan.directory.professional(actor.professional_id).team_ids
        except errors.UnknownReferenceError:
            return False

    @staticmethod
    def state(plan: HouseholdPlan, today: Any, current: HouseholdPlan | None = None) -> dict[str, Any]:
        """The unfiltered view, with values erased since (by the current plan) blanked too."""
        view = plan_view(plan, "", today)
        latest = current or plan
        members = set(getattr(latest, "erased_members", []))
        household = bool(getattr(latest, "household_erased", False))
        if members or household:
            erase(view, STATE_FIELDS, members, household)
        return view

    def receipts(self, plan_id: str) -> list[dict[str, Any]]:
        rows = self.store.query(
            "SELECT * FROM privacy_erasures WHERE plan_id = ? ORDER BY erased_at", (plan_id,)
        )
        return [{**r, "data_subject_ids": json.loads(r["data_subject_ids"])} for r in rows]


def _now() -> datetime:
    return datetime.now(UTC)
