"""Vocabularies of intake: channels, topics, signal types and their weights."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    WALK_IN = "walk_in"
    WEB = "web"
    PARTNER_REFERRAL = "partner_referral"


class Topic(StrEnum):
    """What a request is about, as the neighbourhood teams list it (seeds 003, 004)."""

    MONEY = "money"
    PARENTING = "parenting"
    PARTICIPATION = "participation"
    DOMESTIC_VIOLENCE = "domestic_violence"
    EDUCATION = "education"
    HOUSING = "housing"
    CARE = "care"
    MOBILITY_AIDS = "mobility_aids"


class SignalType(StrEnum):
    """What a partner reports about a person: the type only, never the content."""

    RENT_ARREARS = "rent_arrears"
    ENERGY_ARREARS = "energy_arrears"
    WATER_ARREARS = "water_arrears"
    HEALTH_INSURANCE_ARREARS = "health_insurance_arrears"
    SCHOOL_ABSENCE = "school_absence"
    POLICE_CONTACT = "police_contact"
    EVICTION_NOTICE = "eviction_notice"
    DOMESTIC_VIOLENCE_REPORT = "domestic_violence_report"


# A match needs a total weight of MATCH_WEIGHT from different organisations, or one
# signal that weighs that much alone: an eviction or a domestic-violence report
# cannot wait for a second signal.
MATCH_WEIGHT = 2
SIGNAL_WEIGHT: dict[SignalType, int] = {
    SignalType.RENT_ARREARS: 1,
    SignalType.ENERGY_ARREARS: 1,
    SignalType.WATER_ARREARS: 1,
    SignalType.HEALTH_INSURANCE_ARREARS: 1,
    SignalType.SCHOOL_ABSENCE: 1,
    SignalType.POLICE_CONTACT: 1,
    SignalType.EVICTION_NOTICE: 2,
    SignalType.DOMESTIC_VIOLENCE_REPORT: 2,
}
