"""The auditor's desk: verify the hash chain, publish its head, export a plan for offline review.

Verification checks the links of every record and then opens its encrypted values
(`privacy.integrity`): a value altered, or moved away from the category, record or
data subject it was bound to, is reported at its record like a broken link.

The export brings together what an auditor needs in one file: the plan's stored records and
their chain hashes (`domain.audit.export`), the history and view as they stood at the moment
(optionally as one organisation was allowed to see them), the policy version, and the
processing-log lines for the plan (`processing_log`, given by the composition root).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from eenplan.domain.app import Eenplan
from eenplan.domain.audit import verify as v
from eenplan.domain.audit.export import FORMAT, record_entry
from eenplan.domain.audit.snapshots import check_snapshots
from eenplan.domain.context import Actor
from eenplan.domain.errors import NotAllowedError, PlanNotFoundError, RecordIntegrityError
from eenplan.domain.values import Role
from eenplan.privacy.integrity import opens
from eenplan.privacy.reader import PlanReader

# (plan id, up to version) -> LDV lines for that plan; the processing log plugs in here.
ProcessingLog = Callable[[str, int], list[dict[str, Any]]]
PolicyVersion = Callable[[datetime], str | None]


def no_processing_log(plan_id: str, version: int) -> list[dict[str, Any]]:
    return []


def no_policy(moment: datetime) -> str | None:
    return None


class Audit:
    def __init__(
        self,
        eenplan: Eenplan,
        reader: PlanReader,
        processing_log: ProcessingLog = no_processing_log,
        policy_version: PolicyVersion = no_policy,
    ) -> None:
        self.eenplan = eenplan
        self.reader = reader
        self.processing_log = processing_log
        self.policy_version = policy_version

    @property
    def chain(self) -> v.ChainStore:
        recorder = self.eenplan.recorder
        if not hasattr(recorder, "chain_page"):
            raise NotAllowedError("this store keeps no hash chain (an in-memory store)")
        return cast("v.ChainStore", recorder)

    def verify(
        self,
        actor: Actor | None,
        plan_id: str | None = None,
        against: v.Anchor | None = None,
        progress: v.Progress | None = None,
    ) -> v.Verdict:
        """One plan (in the caller's tenant), or the whole store; `actor` None is the operator."""
        inspect = opens(self.eenplan.mapper)
        if plan_id is None:
            return v.verify_store(self.chain, against, progress, inspect)
        if actor is not None:
            self._check_tenant(actor, plan_id)
        verdict = v.verify_plan(self.chain, _plan_uuid(plan_id), against, inspect)
        if verdict.intact:
            checked, verdict.broken = check_snapshots(
                self.eenplan.snapshots, self.eenplan.repository.event_store, _plan_uuid(plan_id)
            )
            verdict.extra["snapshots_checked"] = checked
        return verdict

    def _check_tenant(self, actor: Actor, plan_id: str) -> None:
        """Only plans of the caller's tenant; a record too damaged to read is still verified."""
        try:
            self.eenplan.plans.plan(actor, plan_id)
        except (ValueError, RecordIntegrityError):
            # The stored bytes no longer decode (JSONDecodeError, UnicodeDecodeError), or a value
            # no longer opens: exactly what verification is for, so it goes on and reports it.
            if not self.chain.chain_of(_plan_uuid(plan_id)):
                raise PlanNotFoundError(plan_id) from None

    def adopt(self) -> int:
        """Chain the events of a store written before the chain existed; returns the head position."""
        return int(self.chain.adopt_unchained())

    def anchor(self) -> v.Anchor | None:
        return v.anchor(self.chain)

    def operator(self, plan_id: str) -> Actor:
        """The machine operator, as an auditor of the plan's tenant (the CLI runs on the store)."""
        try:
            tenant: str = self.eenplan.repository.get(_plan_uuid(plan_id)).tenant
        except (AggregateNotFoundError, AttributeError):
            raise PlanNotFoundError(plan_id) from None
        return Actor("eenplan-cli", "eenplan", frozenset({Role.AUDITOR.value}), frozenset({tenant}))

    def export(
        self, auditor: Actor, plan_id: str, *, as_of: datetime | None = None, as_seen_by: str | None = None
    ) -> dict[str, Any]:
        version = self.eenplan.plans.version_at(auditor, plan_id, as_of) if as_of else None
        plan = self.eenplan.plans.plan(auditor, plan_id, version=version)
        moment = as_of or datetime.now(UTC)
        rows = [r for r in self.chain.chain_of(UUID(plan_id)) if r.version <= plan.version]
        view, history = self._seen(auditor, plan_id, plan.version, as_of, as_seen_by)
        return {
            "format": FORMAT,
            "plan_id": plan_id,
            "version": plan.version,
            "as_of": as_of.isoformat() if as_of else None,
            "as_seen_by": as_seen_by,
            "exported_at": datetime.now(UTC).isoformat(),
            "policy_version": self.policy_version(moment),
            "chain_head": _head(self.anchor()),
            "records": [record_entry(r) for r in rows if r.event is not None],
            "history": history,
            "view": view,
            "processing_log": self.processing_log(plan_id, plan.version),
        }

    def _seen(
        self, auditor: Actor, plan_id: str, version: int, as_of: datetime | None, organisation: str | None
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Through the privacy read path: as the auditor may see it, or as the organisation saw it."""
        if organisation is not None:
            moment = as_of or datetime.now(UTC)
            view = self.reader.plan_as_seen_by(auditor, plan_id, organisation, moment)
            return view, self.reader.history_as_seen_by(auditor, plan_id, organisation, moment)
        view = self.reader.plan(auditor, plan_id, version=version)
        return view, self.reader.history(auditor, plan_id, as_of=as_of)


def _plan_uuid(plan_id: str) -> UUID:
    try:
        return UUID(plan_id)
    except ValueError:
        raise PlanNotFoundError(plan_id) from None


def _head(anchor: v.Anchor | None) -> dict[str, Any] | None:
    return None if anchor is None else {"position": anchor.position, "hash": anchor.chain_hash}
