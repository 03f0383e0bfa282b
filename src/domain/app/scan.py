"""Queries that read the whole notification log, filtered by event topic.

Correct but slow: each call pages through every stored event of the named types,
so its cost grows with the store. They stand in where a projection will serve
the same question from a table (the caseload projection's `regisseur_load`), and
are fine for rare, whole-store jobs such as a reorganisation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from eventsourcing.application import Application

from eenplan.domain.intake import request as hr
from eenplan.domain.plan import events as pe
from eenplan.domain.reorganisation import PlanFacts
from eenplan.domain.topics import stored_topics

PAGE = 1000
PLAN_FACT_EVENTS = (
    pe.Opened,
    pe.RegisseurAssigned,
    pe.RegisseurHandedOver,
    pe.PlanClosed,
    pe.PlanReopened,
    pe.AddressChanged,
    pe.PlanMovedToTeam,
)
REQUEST_EVENTS = (
    hr.HelpRequestSubmitted,
    hr.FirstContactMade,
    hr.HelpRequestAssigned,
    hr.ResolvedSimply,
    hr.ReferredOn,
    hr.PlanOpenedFromRequest,
)


class LogScans:
    """Whole-log queries over the application's store."""

    def __init__(self, store: Application[Any]) -> None:
        self.recorder = store.recorder
        self.mapper = store.mapper

    def scan(self, *event_classes: type) -> Iterator[Any]:
        """Every stored event of these classes, in log order."""
        topics = stored_topics(*event_classes)
        start = 1
        while True:
            page = self.recorder.select_notifications(start, PAGE, topics=topics)
            for notification in page:
                yield self.mapper.to_domain_event(notification)
            if len(page) < PAGE:
                return
            start = page[-1].id + 1

    def plan_facts(self, tenant: str) -> dict[str, dict[str, Any]]:
        """Per plan of the tenant: team, regisseur, status, area keys, reorganisations that moved it."""
        facts: dict[str, dict[str, Any]] = {}
        for event in self.scan(*PLAN_FACT_EVENTS):
            plan_id = str(event.originator_id)
            if isinstance(event, pe.Opened):
                if event.tenant == tenant:
                    facts[plan_id] = {"team_id": event.team_id, "regisseur_id": None, "status": "open"}
                    facts[plan_id].update(moved_by=set(), area_keys=_area_keys(event.address))
            elif plan_id in facts:
                _apply_fact(facts[plan_id], event)
        return facts

    def plans_for_reorganisation(self, tenant: str) -> list[PlanFacts]:
        return [
            PlanFacts(k, f["team_id"], f["regisseur_id"], f["area_keys"], frozenset(f["moved_by"]))
            for k, f in self.plan_facts(tenant).items()
        ]

    def regisseur_load_from_log(self, tenant: str) -> dict[str, int]:
        """Open plans per regisseur, from the log: the honest, slow stand-in for the projection."""
        load: dict[str, int] = {}
        for fact in self.plan_facts(tenant).values():
            if fact["status"] == "open" and fact["regisseur_id"]:
                load[fact["regisseur_id"]] = load.get(fact["regisseur_id"], 0) + 1
        return load

    def request_facts(self, tenant: str) -> list[dict[str, Any]]:
        """Per help request of the tenant: topics, team, and the times of its steps."""
        facts: dict[str, dict[str, Any]] = {}
        for event in self.scan(*REQUEST_EVENTS):
            key = str(event.originator_id)
            if isinstance(event, hr.HelpRequestSubmitted):
                if event.tenant == tenant:
                    facts[key] = {"topics": list(event.topics), "team_id": None, "submitted_at": _at(event)}
                    facts[key].update(first_contact_at=None, assigned_at=None, planned_at=None)
            elif key in facts:
                _apply_request_fact(facts[key], event)
        return list(facts.values())


def _at(event: Any) -> str:
    return str(event.timestamp.isoformat())


def _area_keys(address: Any) -> tuple[str, ...]:
    # Only where a household lives places it in an area: a briefadres is often a shelter's or the
    # town hall's, and a household without an address belongs to no area (its split's default team).
    if not isinstance(address, dict) or address.get("kind", "residential") != "residential":
        return ()
    postal = str(address.get("postal_code", ""))[:4]
    return tuple(k.casefold() for k in (postal, str(address.get("city", ""))) if k)


def _apply_fact(fact: dict[str, Any], event: Any) -> None:
    if isinstance(event, pe.RegisseurAssigned):
        fact["regisseur_id"] = event.professional_id
    elif isinstance(event, pe.RegisseurHandedOver):
        fact["regisseur_id"] = event.to_professional_id
    elif isinstance(event, pe.PlanClosed | pe.PlanReopened):
        fact["status"] = "closed" if isinstance(event, pe.PlanClosed) else "open"
    elif isinstance(event, pe.AddressChanged):
        fact["area_keys"] = _area_keys(event.address)
    elif isinstance(event, pe.PlanMovedToTeam):
        fact["team_id"] = event.to_team_id
        fact["moved_by"].add(event.reorganisation_id)
        if event.regisseur:
            fact["regisseur_id"] = event.regisseur["professional_id"]


def _apply_request_fact(fact: dict[str, Any], event: Any) -> None:
    if isinstance(event, hr.FirstContactMade):
        fact["first_contact_at"] = fact["first_contact_at"] or _at(event)
    elif isinstance(event, hr.HelpRequestAssigned):
        fact["assigned_at"] = fact["assigned_at"] or _at(event)
        fact["team_id"] = event.team_id or fact["team_id"]
    elif isinstance(event, hr.ResolvedSimply | hr.ReferredOn | hr.PlanOpenedFromRequest):
        fact["first_contact_at"] = fact["first_contact_at"] or _at(event)
        if isinstance(event, hr.PlanOpenedFromRequest):
            fact["planned_at"] = _at(event)
            fact["team_id"] = fact["team_id"] or event.team_id
