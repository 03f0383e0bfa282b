"""The privacy module, composed: policy, keys, processing log and emergency access on one store.

`Privacy.attach(eenplan, config)` is called once by the composition root: it
creates the privacy tables, records the policy version, and gives the
application's field-encryption mapper its keyring.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from eenplan.domain import errors
from eenplan.domain.app import Eenplan
from eenplan.domain.context import Actor
from eenplan.domain.plan import HouseholdPlan
from eenplan.domain.plan.categories import STATE_FIELDS
from eenplan.domain.plan.personal import ERASED, erase
from eenplan.domain.values import Role
from eenplan.privacy import erasure_jobs
from eenplan.privacy.filter import Caller
from eenplan.privacy.keys import Keyring, derive
from eenplan.privacy.mapper import FieldCipherMapper
from eenplan.privacy.policy import Policy, load_policy
from eenplan.privacy.processing import ProcessingLog, note_processing
from eenplan.privacy.scrub import Scrubber
from eenplan.privacy.store import PrivacyStore
from eenplan.privacy.views import plan_view

MAPPER_ENV = {"MAPPER_TOPIC": "eenplan.privacy.mapper:FieldCipherMapper"}


@dataclass(frozen=True)
class PrivacyConfig:
    master_key: bytes
    policy_file: Path | None = None
    emergency_hours: float = 4.0
    retention_years: dict[str, int] = field(default_factory=lambda: {"jeugdwet": 20, "default": 15})
    # How long an erasure waits for old row versions to leave the store's files before it
    # answers "pending" (housekeeping completes it later); see privacy.scrub.
    erasure_wait_seconds: float = 10.0


class Privacy:
    def __init__(self, eenplan: Eenplan, config: PrivacyConfig) -> None:
        self.eenplan = eenplan
        self.config = config
        self.store = PrivacyStore.for_recorder(eenplan.recorder)
        self.store.create_tables()
        self.policy: Policy = load_policy(config.policy_file)
        self.keyring = Keyring(self.store, config.master_key)
        self.log = ProcessingLog(self.store, derive(config.master_key, "pseudonyms"), self.policy)
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
        return Policy.parse(rows[0]["source"]) if rows else self.policy

    def policies(self) -> list[dict[str, Any]]:
        return self.store.query(
            "SELECT version, sha256, first_loaded_at FROM privacy_policies ORDER BY first_loaded_at"
        )

    # --- the inputs of the filter ---------------------------------------------------------

    def caller(self, actor: Actor, plan: HouseholdPlan, now: datetime) -> Caller:
        return self.caller_for(actor, plan.team_id, str(plan.id), now)

    def caller_for(self, actor: Actor, team_id: str | None, plan_id: str | None, now: datetime) -> Caller:
        """The caller with its organisation's kind, team lead standing and emergency grant."""
        return Caller(
            actor=actor,
            org_kind=self.organisation_kind(actor.org),
            leads_team=team_id is not None and self._leads(actor, team_id),
            emergency_until=self.emergency_until(actor, plan_id, now) if plan_id else None,
        )

    def organisation_kind(self, organisation_id: str) -> str | None:
        try:
            return self.eenplan.organisation(organisation_id).kind
        except errors.UnknownReferenceError:
            return None

    def _leads(self, actor: Actor, team_id: str) -> bool:
        if not actor.has_role(Role.TEAM_LEAD):
            return False
        try:
            return team_id in self.eenplan.professional(actor.professional_id).team_ids
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

    # --- break the glass ----------------------------------------------------------------

    def grant_emergency(
        self, actor: Actor, plan_id: str, reason: str, trace_id: str | None
    ) -> dict[str, Any]:
        """Regisseur-level reads for a limited time; always logged and reviewed."""
        if not reason.strip():
            raise errors.NotAllowedError("emergency access needs a stated reason")
        if actor.has_role(Role.PARTNER_SYSTEM) and actor.acting_for is None:
            raise errors.NotAllowedError("a system breaks the glass only for a named professional")
        plan = self.eenplan.plan(actor, plan_id)
        granted = _now()
        expires = granted + timedelta(hours=self.config.emergency_hours)
        self.store.execute(
            "INSERT INTO privacy_emergency_access (plan_id, tenant, sub, org, reason, granted_at, "
            "expires_at, trace_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(plan.id),
                plan.tenant,
                actor.professional_id,
                actor.org,
                # The reason may tell about the household: it is the household's data, under its key.
                json.dumps(self.keyring.encrypt(str(plan.id), reason)),
                granted.isoformat(),
                expires.isoformat(),
                trace_id,
            ),
        )
        note_processing(actor, str(plan.id), list(plan.members), relation="emergency")
        return {"plan_id": str(plan.id), "granted_at": granted.isoformat(), "expires_at": expires.isoformat()}

    def emergency_until(self, actor: Actor, plan_id: str, now: datetime) -> datetime | None:
        rows = self.store.query(
            "SELECT MAX(expires_at) AS until FROM privacy_emergency_access "
            "WHERE plan_id = ? AND sub = ? AND org = ? AND expires_at > ?",
            (plan_id, actor.professional_id, actor.org, now.isoformat()),
        )
        until = rows[0]["until"] if rows else None
        return datetime.fromisoformat(until) if until else None

    def emergency_review(self, tenants: frozenset[str], limit: int = 500) -> list[dict[str, Any]]:
        """The grants in these tenants, newest first, reasons opened (or erased)."""
        marks = ", ".join("?" for _ in tenants) or "NULL"
        # Only "?" placeholders are interpolated; the tenants travel as parameters.
        statement = (
            "SELECT id, plan_id, tenant, sub, org, reason, granted_at, expires_at, trace_id "  # noqa: S608
            f"FROM privacy_emergency_access WHERE tenant IN ({marks}) ORDER BY id DESC LIMIT ?"
        )
        rows = self.store.query(statement, (*sorted(tenants), limit))
        for row in rows:
            row["reason"] = self.keyring.decrypt(json.loads(row["reason"]), ERASED)
        return rows

    def receipts(self, plan_id: str) -> list[dict[str, Any]]:
        rows = self.store.query(
            "SELECT * FROM privacy_erasures WHERE plan_id = ? ORDER BY erased_at", (plan_id,)
        )
        return [{**r, "data_subject_ids": json.loads(r["data_subject_ids"])} for r in rows]


def _now() -> datetime:
    return datetime.now(UTC)
