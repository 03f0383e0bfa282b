"""Response models of the projection reads: plan lists, caseloads, dashboards, monitoring, lag.

None of them carries personal values: ids, statuses, dates, risk levels, counts.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Public(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class PlanSummary(Public):
    plan_id: str
    tenant: str
    team_id: str
    legal_basis: str
    status: str
    risk_level: str | None
    regisseur_id: str | None
    relation: str = Field(
        description="the caller's relation (caseload of a professional: that professional's, "
        "regisseur or member)"
    )
    opened_at: str
    closed_at: str | None
    last_activity: str
    version: int
    open_agreements: int
    overdue_agreements: int
    next_due_date: str | None


class PlanSummaries(Public):
    items: list[PlanSummary]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")


class RegisseurLoad(Public):
    professional_id: str
    capacity: int
    open_plans: int
    utilisation: float | None


class OverdueAgreement(Public):
    plan_id: str
    agreement_id: str
    due_date: str
    days_overdue: int


class OverdueAgreements(Public):
    count: int = Field(description="all overdue agreements on the team's open plans")
    items: list[OverdueAgreement] = Field(description="those on plans the caller may see, oldest first")


class Waiting(Public):
    count: int
    median_days: float | None
    p90_days: float | None


class WaitingTimes(Public):
    opening_to_first_agreement: Waiting
    handover_proposal_to_acceptance: Waiting


class Dashboard(Public):
    team_id: str
    tenant: str
    areas: list[str]
    plans_by_status: dict[str, int]
    open_plans_by_risk: dict[str, int]
    regisseur_load: list[RegisseurLoad]
    overdue_agreements: OverdueAgreements
    waiting_times: WaitingTimes


class PlanCounts(Public):
    total: int | None
    by_risk: dict[str, int | None]
    by_legal_basis: dict[str, int | None]


class AgreementsCompleted(Public):
    on_time: int | None
    late: int | None


class MonitoringCells(Public):
    plans_opened: PlanCounts
    plans_closed: PlanCounts
    median_duration_days: float | None
    goals_achieved: dict[str, int | None]
    agreements_completed: AgreementsCompleted


class TeamMonitoring(MonitoringCells):
    team_id: str
    areas: list[str]


class Monitoring(Public):
    tenant: str
    from_: str = Field(alias="from")
    to: str
    suppressed_below: int = Field(description="a median over fewer closed plans is null")
    rounded_to: int = Field(
        description="each combination (a team's plans of one risk level and legal basis, its goals of one "
        "life domain, its agreements on time or late) is rounded to a multiple of this; every count is "
        "the sum of its rounded combinations, null where that is 0: totals add up, no small cell shows"
    )
    total: MonitoringCells
    teams: list[TeamMonitoring]
