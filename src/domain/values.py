"""Value vocabularies of the domain: enums and the checks on Dutch identifiers."""

from __future__ import annotations

import re
from enum import StrEnum


class LifeDomain(StrEnum):
    """The 13 life domains of the Zelfredzaamheid-Matrix (ZRM)."""

    FINANCES = "finances"
    WORK_EDUCATION = "work_education"
    TIME_USE = "time_use"
    HOUSING = "housing"
    DOMESTIC_RELATIONS = "domestic_relations"
    MENTAL_HEALTH = "mental_health"
    PHYSICAL_HEALTH = "physical_health"
    SUBSTANCE_USE = "substance_use"
    BASIC_ADL = "basic_adl"
    INSTRUMENTAL_ADL = "instrumental_adl"
    SOCIAL_NETWORK = "social_network"
    COMMUNITY_PARTICIPATION = "community_participation"
    JUSTICE = "justice"


class DataCategory(StrEnum):
    """The category of a personal field; the privacy policy decides who sees which."""

    IDENTITY = "identity"
    BSN = "bsn"
    GENERAL = "general"
    HEALTH = "health"
    JUSTICE = "justice"
    FINANCE = "finance"
    SAFETY = "safety"
    YOUTH = "youth"


LIFE_DOMAIN_CATEGORY: dict[LifeDomain, DataCategory] = {
    LifeDomain.FINANCES: DataCategory.FINANCE,
    LifeDomain.WORK_EDUCATION: DataCategory.GENERAL,
    LifeDomain.TIME_USE: DataCategory.GENERAL,
    LifeDomain.HOUSING: DataCategory.GENERAL,
    LifeDomain.DOMESTIC_RELATIONS: DataCategory.SAFETY,
    LifeDomain.MENTAL_HEALTH: DataCategory.HEALTH,
    LifeDomain.PHYSICAL_HEALTH: DataCategory.HEALTH,
    LifeDomain.SUBSTANCE_USE: DataCategory.HEALTH,
    LifeDomain.BASIC_ADL: DataCategory.HEALTH,
    LifeDomain.INSTRUMENTAL_ADL: DataCategory.GENERAL,
    LifeDomain.SOCIAL_NETWORK: DataCategory.GENERAL,
    LifeDomain.COMMUNITY_PARTICIPATION: DataCategory.GENERAL,
    LifeDomain.JUSTICE: DataCategory.JUSTICE,
}


class OrganisationKind(StrEnum):
    MUNICIPALITY = "municipality"
    WELFARE = "welfare"
    SOCIAL_WORK = "social_work"
    YOUTH_CARE = "youth_care"
    MENTAL_HEALTH = "mental_health"
    ADDICTION_CARE = "addiction_care"
    DEBT_COUNSELLING = "debt_counselling"
    HOUSING = "housing"
    POLICE = "police"
    EDUCATION = "education"
    HEALTH_CARE = "health_care"
    SAFE_HOME = "safe_home"


class LegalBasis(StrEnum):
    WMO2015 = "wmo2015"
    JEUGDWET = "jeugdwet"
    PARTICIPATIEWET = "participatiewet"
    WGS = "wgs"
    CONSENT = "consent"


class MemberRole(StrEnum):
    PARENT = "parent"
    CHILD = "child"
    ADULT = "adult"
    OTHER = "other"


class RiskLevel(StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def needs_regisseur(self) -> bool:
        """Medium and high safety risks need an area team and a regisseur (seed 000)."""
        return self in (RiskLevel.MEDIUM, RiskLevel.HIGH)


class PlanStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class GoalOutcome(StrEnum):
    ACHIEVED = "achieved"
    DROPPED = "dropped"


class Role(StrEnum):
    """Roles a token can carry."""

    PROFESSIONAL = "professional"
    TEAM_LEAD = "team_lead"
    AUDITOR = "auditor"
    PRIVACY_OFFICER = "privacy_officer"
    ADMIN = "admin"
    PARTNER_SYSTEM = "partner_system"


TENANT_CODE = re.compile(r"^GM[0-9]{4}$")
POSTAL_CODE = re.compile(r"^[1-9][0-9]{3} ?(?!SA|SD|SS)[A-Z]{2}$")


def is_valid_bsn(bsn: str) -> bool:
    """The elfproef: 9 digits whose weighted sum (9..2, then -1) divides by 11."""
    if len(bsn) != 9 or not (bsn.isascii() and bsn.isdigit()):
        return False
    digits = [int(c) for c in bsn]
    total = sum(d * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - digits[8]
    return total % 11 == 0 and total != 0


def normalise_postal_code(code: str) -> str:
    """'1234ab' and '1234 AB' both become '1234 AB'."""
    compact = code.replace(" ", "").upper()
    return f"{compact[:4]} {compact[4:]}"
