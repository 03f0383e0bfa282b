"""Break the glass: emergency access by policy, one open grant at a time, every grant reviewed.

A professional whose token role and organisation kind the policy's `break_the_glass`
allows may, with a reason that says something, read a plan of its tenant for a limited
time, with the categories the policy opens for its kind (never what `never` forbids).
Every grant enters the review queue (`privacy.emergency_queue`): a privacy officer of
the tenant approves or rejects it, with a reason; a rejection ends the access at once.

Grants and reviews are append-only rows (the database refuses changes), their reasons
encrypted under the household's key (erasure shreds them). Both steps find what an
earlier run under the same command id wrote, so running them again records nothing twice.

Refusals come in this order, for a reason: the policy's rules do not depend on the plan,
so their 403 (naming the rule) is the same for any plan id and reveals nothing; then the
reason (422); then the plan, which outside the caller's tenants (its token's, and its
organisation's in the directory) does not exist (404); then the open grant (409).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from eenplan.domain import errors
from eenplan.domain.app import Eenplan
from eenplan.domain.context import Actor
from eenplan.domain.plan import HouseholdPlan
from eenplan.domain.values import Role
from eenplan.privacy.keys import Keyring
from eenplan.privacy.policy import Policy
from eenplan.privacy.processing import note_processing
from eenplan.privacy.store import PrivacyStore, Statements

MIN_REASON_CHARS = 20
MIN_REASON_WORDS = 3
REASON_RULE = (
    f"state the reason in at least {MIN_REASON_CHARS} characters and {MIN_REASON_WORDS} different "
    "words of two letters or more, not one word or pattern repeated"
)
DECISIONS = ("approved", "rejected")
# Open: not past its end, and not rejected (an approved grant runs on until it expires).
OPEN_GRANTS = (
    "FROM privacy_emergency_access g "
    "LEFT JOIN privacy_emergency_reviews r ON r.grant_id = g.grant_id "
    "WHERE g.plan_id = ? AND g.sub = ? AND g.org = ? AND g.expires_at > ? "
    "AND (r.decision IS NULL OR r.decision <> 'rejected')"
)
OPEN_GRANT = f"SELECT g.grant_id, g.expires_at {OPEN_GRANTS} ORDER BY g.expires_at DESC"
# When the open grant ends (NULL: none), as a subquery: a plan read asks it with the plan's version.
OPEN_GRANT_UNTIL = f"SELECT MAX(g.expires_at) {OPEN_GRANTS}"
GRANT_FIELDS = (
    "grant_id", "plan_id", "tenant", "sub", "org", "requested_by", "command_id", "org_kind", "categories",
    "policy_sha256", "reason", "granted_at", "expires_at", "trace_id",
)  # fmt: skip
REVIEW_FIELDS = (
    "grant_id", "decision", "reason", "reviewed_at", "by_sub", "by_org", "command_id", "trace_id",
)  # fmt: skip


def _insert(table: str, fields: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(fields)}) VALUES ({', '.join('?' for _ in fields)})"  # noqa: S608 - fixed names, values as parameters


INSERT_GRANT = _insert("privacy_emergency_access", GRANT_FIELDS)
INSERT_REVIEW = _insert("privacy_emergency_reviews", REVIEW_FIELDS)


@dataclass(frozen=True)
class EmergencyTerms:
    hours: float = 4.0  # how long a grant lasts
    review_days: float = 5.0  # unreviewed for longer than this, a grant is overdue


def stated_reason(reason: str) -> str:
    """The reason, if it says something; a TrivialReasonError that states the rule if not."""
    text = " ".join(reason.split())
    words = set(re.findall(r"[^\W\d_]{2,}", text.casefold()))
    if len(text) < MIN_REASON_CHARS or len(words) < MIN_REASON_WORDS or _repeats(text):
        raise errors.TrivialReasonError(f"a reason that says nothing is refused: {REASON_RULE}")
    return text


def _repeats(text: str) -> bool:
    """'abcabcabc…', 'aaaa…': the text, spaces and punctuation left out, is one piece over and over."""
    compact = re.sub(r"\W", "", text.casefold())
    return (compact + compact).find(compact, 1) < len(compact)


class EmergencyAccess:
    def __init__(
        self, eenplan: Eenplan, store: PrivacyStore, keyring: Keyring, policy: Policy, terms: EmergencyTerms
    ) -> None:
        self.eenplan, self.store, self.keyring = eenplan, store, keyring
        self.policy, self.terms = policy, terms

    # --- break the glass ----------------------------------------------------------------

    def request(
        self, actor: Actor, plan_id: str, reason: str, command_id: str, trace_id: str | None
    ) -> dict[str, Any]:
        """A grant of emergency access to the plan, once per command id; see the module docstring."""
        kind = self._may_ask(actor)
        stated = stated_reason(reason)
        plan = self._plan_in_tenant(actor, plan_id)
        # Encrypted before the serialised step: a new household key is written on a connection of its own.
        row = self._new_grant(actor, plan, kind, command_id, trace_id)
        row["reason"] = json.dumps(self.keyring.encrypt(str(plan.id), stated))
        with self.store.serialised(f"emergency:{plan.id}:{actor.org}:{actor.professional_id}") as tx:
            again = tx.query(
                "SELECT * FROM privacy_emergency_access "
                "WHERE org = ? AND requested_by = ? AND command_id = ? AND plan_id = ?",
                (actor.org, actor.sub, command_id, str(plan.id)),
            )
            if again:  # the same command, run again after its answer was lost
                return _grant_reply(again[0])
            held = tx.query(OPEN_GRANT, (str(plan.id), row["sub"], actor.org, row["granted_at"]))
            if held:
                raise errors.EmergencyAccessOpenError(held[0]["grant_id"], held[0]["expires_at"])
            tx.execute(INSERT_GRANT, tuple(row[f] for f in GRANT_FIELDS))
        note_processing(actor, str(plan.id), list(plan.members), tenant=plan.tenant, relation="emergency")
        return _grant_reply(row)

    def _may_ask(self, actor: Actor) -> str:
        """The caller's organisation kind, if the policy lets it break the glass at all (403 if not)."""
        rules = self.policy.break_the_glass
        if not actor.roles & rules.roles:
            raise errors.EmergencyAccessNotAllowedError(
                "break_the_glass.roles",
                f"the privacy policy lets only the roles {sorted(rules.roles)} break the glass",
            )
        if actor.has_role(Role.PARTNER_SYSTEM) and actor.acting_for is None:
            raise errors.EmergencyAccessNotAllowedError(
                "break_the_glass.roles", "a system breaks the glass only for a named professional"
            )
        kind = self._kind(actor.org)
        if kind not in rules.kinds:
            raise errors.EmergencyAccessNotAllowedError(
                "break_the_glass.kinds",
                f"the privacy policy does not let organisations of kind {kind} break the glass; "
                f"it lets {sorted(rules.kinds)}",
            )
        self._registered(actor)
        return kind

    def _kind(self, organisation_id: str) -> str:
        try:
            return self.eenplan.directory.organisation(organisation_id).kind
        except errors.UnknownReferenceError:
            raise errors.EmergencyAccessNotAllowedError(
                "directory", f"organisation {organisation_id} is not in the directory"
            ) from None

    def _registered(self, actor: Actor) -> None:
        """The token's professional works for the token's organisation, as the directory says."""
        try:
            works_for = self.eenplan.directory.professional(actor.professional_id).organisation_id
        except errors.UnknownReferenceError:
            works_for = None
        if works_for != actor.org:
            raise errors.EmergencyAccessNotAllowedError(
                "directory",
                f"break the glass is for professionals registered with their organisation; "
                f"{actor.professional_id} is not registered with {actor.org}",
            )

    def _plan_in_tenant(self, actor: Actor, plan_id: str) -> HouseholdPlan:
        plan = self.eenplan.plans.plan(actor, plan_id)  # outside the token's tenants: not found
        if plan.tenant not in self.eenplan.directory.organisation(actor.org).tenants:
            raise errors.PlanNotFoundError(plan_id)  # nor outside the organisation's, per the directory
        return plan

    def _new_grant(
        self, actor: Actor, plan: HouseholdPlan, kind: str, command_id: str, trace_id: str | None
    ) -> dict[str, Any]:
        granted = _now()
        return {
            "grant_id": str(uuid.uuid4()),
            "plan_id": str(plan.id),
            "tenant": plan.tenant,
            "sub": actor.professional_id,
            "org": actor.org,
            "requested_by": actor.sub,
            "command_id": command_id,
            "org_kind": kind,
            "categories": json.dumps(sorted(self.policy.categories(kind, "emergency"))),
            "policy_sha256": self.policy.sha256,
            "reason": None,  # sealed by the caller
            "granted_at": _iso(granted),
            "expires_at": _iso(granted + timedelta(hours=self.terms.hours)),
            "trace_id": trace_id,
        }

    def until(self, actor: Actor, plan_id: str, now: datetime) -> datetime | None:
        """When the caller's open emergency access to the plan ends; None: it holds none."""
        found = self.store.query(OPEN_GRANT, self.open_grant_params(actor, plan_id, now))
        return datetime.fromisoformat(found[0]["expires_at"]) if found else None

    @staticmethod
    def open_grant_params(actor: Actor, plan_id: str, now: datetime) -> tuple[str, ...]:
        """The parameters of OPEN_GRANT and OPEN_GRANT_UNTIL."""
        return (plan_id, actor.professional_id, actor.org, _iso(now))

    # --- review ---------------------------------------------------------------------------

    def review(
        self, actor: Actor, grant_id: str, decision: str, reason: str, command_id: str, trace_id: str | None
    ) -> dict[str, Any]:
        """A privacy officer's final decision on a grant of its tenants; a rejection ends the access."""
        if not actor.has_role(Role.PRIVACY_OFFICER):
            raise errors.NotAllowedError("reviewing emergency access needs the role privacy_officer")
        if decision not in DECISIONS:
            raise errors.IncompleteCommandError(f"a decision is one of {list(DECISIONS)}")
        stated = stated_reason(reason)
        grant = self._grant_of(actor, grant_id)
        if grant["sub"] == actor.professional_id and grant["org"] == actor.org:
            raise errors.NotAllowedError("nobody reviews their own emergency access")
        sealed = json.dumps(self.keyring.encrypt(grant["plan_id"], stated))
        values = (grant_id, decision, sealed, _iso(_now()), actor.sub, actor.org, command_id, trace_id)
        review = dict(zip(REVIEW_FIELDS, values, strict=True))
        with self.store.serialised(f"emergency-review:{grant_id}") as tx:
            done = self._final(tx, grant_id, actor, command_id)
            if done is None:
                tx.execute(INSERT_REVIEW, values)
        note_processing(actor, grant["plan_id"], operation=decision, activity="emergency_review")
        return _review_reply(grant, done or review)

    def _grant_of(self, actor: Actor, grant_id: str) -> dict[str, Any]:
        found = self.store.query("SELECT * FROM privacy_emergency_access WHERE grant_id = ?", (grant_id,))
        if not found or not actor.serves(found[0]["tenant"]):
            raise errors.EmergencyGrantNotFoundError(grant_id)
        return found[0]

    @staticmethod
    def _final(tx: Statements, grant_id: str, actor: Actor, command_id: str) -> dict[str, Any] | None:
        """The review already written: this command's own (run again), or another's (409)."""
        for done in tx.query("SELECT * FROM privacy_emergency_reviews WHERE grant_id = ?", (grant_id,)):
            if (done["by_org"], done["by_sub"], done["command_id"]) == (actor.org, actor.sub, command_id):
                return done
            raise errors.AlreadyReviewedError(grant_id, done["decision"], done["reviewed_at"])
        return None


def _grant_reply(row: dict[str, Any]) -> dict[str, Any]:
    """What the requester gets back: no reason (the reply is stored with the idempotency key)."""
    keys = ("grant_id", "plan_id", "tenant", "granted_at", "expires_at")
    return {**{k: row[k] for k in keys}, "categories": json.loads(row["categories"])}


def _review_reply(grant: dict[str, Any], review: dict[str, Any]) -> dict[str, Any]:
    ends = min(grant["expires_at"], review["reviewed_at"]) if review["decision"] == "rejected" else None
    return {
        "grant_id": grant["grant_id"],
        "plan_id": grant["plan_id"],
        "decision": review["decision"],
        "reviewed_at": review["reviewed_at"],
        "reviewed_by": {"sub": review["by_sub"], "org": review["by_org"]},
        "access_ends_at": ends or grant["expires_at"],
    }


def _iso(moment: datetime) -> str:
    """Stored times compare as text: always UTC, always with microseconds."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _now() -> datetime:
    return datetime.now(UTC)
