"""Intake: help requests and their triage, the welfare offer, early signals, allocation.

Everything that happens around a household plan before (or instead of) one:
requests from every channel, simple answers, referrals, allocation by expertise
and free capacity (seed 003), and partner signals matched per person (seed 001).
"""

from eenplan.domain.intake.activity import Activity
from eenplan.domain.intake.categories import PERSONAL_FIELDS, SUBJECT_FIELDS
from eenplan.domain.intake.request import HelpRequest
from eenplan.domain.intake.signals import SignalFile

__all__ = ["PERSONAL_FIELDS", "SUBJECT_FIELDS", "Activity", "HelpRequest", "SignalFile"]
