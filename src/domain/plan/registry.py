"""Member ids are unique within a tenant: one registration aggregate per (tenant, member id).

Saving a registration together with the plan makes the store itself refuse a
second household claiming the same member id, and gives `/subjects/{member_id}`
a way to find the member's plan without scanning.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NAMESPACE = uuid5(NAMESPACE_URL, "https://eenplan.nl/members")


class MemberRegistration(Aggregate):
    @staticmethod
    def create_id(tenant: str, member_id: str) -> UUID:
        return uuid5(_NAMESPACE, f"{tenant}:{member_id}")

    @event("Registered")
    def __init__(self, tenant: str, member_id: str, plan_id: str) -> None:
        self.tenant = tenant
        self.member_id = member_id
        self.plan_id = plan_id

    @event("Moved")
    def move(self, plan_id: str) -> None:
        """The member lives in another plan now (a merge or a split): its subject requests go there."""
        self.plan_id = plan_id
