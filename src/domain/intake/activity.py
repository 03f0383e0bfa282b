"""The welfare offer (sociale kaart): activities a request or a plan can be referred to."""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NAMESPACE = uuid5(NAMESPACE_URL, "https://eenplan.nl/activities")


def activity_id(key: str) -> UUID:
    """The aggregate id of an activity, from its client-chosen id, so an id is taken once."""
    return uuid5(_NAMESPACE, key)


class Activity(Aggregate):
    @staticmethod
    def create_id(key: str) -> UUID:
        return activity_id(key)

    @event("Registered")
    def __init__(
        self,
        key: str,
        tenant: str,
        name: str,
        provider: str,
        topics: list[str],
        location: str,
        times: str,
        meta: dict[str, Any],
    ):
        self.key = key
        self.tenant = tenant
        self.name = name
        self.provider = provider
        self.topics = list(topics)
        self.location = location
        self.times = times

    # How often the offer was used: the makelaar's cue for new welfare offer (seed 003).
    referrals: int = 0

    @event("ReferralRecorded")
    def record_referral(self, source: str, source_id: str, meta: dict[str, Any]) -> None:
        """A help request or a plan was referred here."""
        self.referrals += 1
