"""FHIR R4B out: the caller's filtered view of a plan as a Bundle, for health record systems.

Built from the view of the read path only, so the privacy filter has already
left out what the caller may not see; a left-out field is left out here too.
Resources get uuid5 ids (eenplan ids may hold characters FHIR ids do not
allow); the eenplan ids travel as identifiers. The household's address is on
each member's Patient: `use` home, `type` both for where they live, postal for
a briefadres. A household without a fixed address has no Patient address but
an Observation of its housing status (LOINC 71802-3: homeless). Goals carry their ZRM score as
`achievementStatus`: closed goals as achieved or not-achieved, open goals by
their latest score (1-2 no-progress, 3 in-progress, 4-5 improving).

The CarePlan's `author` is the regisseur. Each agreement is an activity whose `detail.performer`
is who does it (the professional and their organisation, or a household member's Patient) and
whose `detail.goal` is the goal it serves. Practitioners and Organizations carry the names the
directory has for them (`names`, looked up by the route: this module reads no store).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import NAMESPACE_URL, uuid5

BASE = "https://eenplan.nl/fhir"
# R4B is FHIR 4.3.0; the media type's fhirVersion parameter names major.minor (FHIR http.html#version).
FHIR_VERSION = "4.3"
MEDIA_TYPE = f"application/fhir+json; fhirVersion={FHIR_VERSION}"
BSN_SYSTEM = "http://fhir.nl/fhir/NamingSystem/bsn"
ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
LIFECYCLE = {"open": "active", "achieved": "completed", "dropped": "cancelled"}
ACTIVITY_STATUS = {"open": "not-started", "completed": "completed", "cancelled": "cancelled"}
ADDRESS_TYPE = {"residential": "both", "postal": "postal"}
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
HOUSING_STATUS = {"system": "http://loinc.org", "code": "71802-3", "display": "Housing status"}
HOMELESS = {"system": "http://snomed.info/sct", "code": "32911000", "display": "Homeless"}


def ref(kind: str, key: str) -> str:
    return f"urn:uuid:{uuid5(NAMESPACE_URL, f'{BASE}/{kind}/{key}')}"


def _identifier(kind: str, key: str) -> list[dict[str, str]]:
    return [{"system": f"{BASE}/id/{kind}", "value": key}]


def _resource(kind: str, key: str, **fields: Any) -> dict[str, Any]:
    url = ref(kind, key)
    return {"fullUrl": url, "resource": {"resourceType": kind, "id": url.removeprefix("urn:uuid:"), **fields}}


def people(view: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The professionals and organisations the bundle names: care team, regisseur, agreements."""
    pros = {p["professional_id"] for p in view.get("care_team", [])}
    orgs = {p["organisation_id"] for p in view.get("care_team", [])}
    if view.get("regisseur_id"):
        pros.add(view["regisseur_id"])
    for agreement in view.get("agreements", []):
        responsible = agreement.get("responsible") or {}
        if responsible.get("professional_id"):
            pros.add(responsible["professional_id"])
        if responsible.get("organisation_id"):
            orgs.add(responsible["organisation_id"])
    return pros, orgs


def bundle(view: dict[str, Any], names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A Bundle (type collection): CarePlan, Group, Patients, CareTeam, Practitioners,
    Organizations and Goals. `names`: directory names by `professional:ID` and `organisation:ID`."""
    plan_id = view["plan_id"]
    pros, orgs = people(view)
    entries = [
        _care_plan(view),
        _group(view),
        *(_patient(m, _address(view.get("address"))) for m in view.get("members", [])),
        *_housing(view),
        _care_team(view),
        *_directory(pros, orgs, names or {}),
        *(_goal(plan_id, g) for g in view.get("goals", [])),
    ]
    return {
        "resourceType": "Bundle",
        "id": str(uuid5(NAMESPACE_URL, f"{BASE}/Bundle/{plan_id}/{view['version']}")),
        "meta": {"versionId": str(view["version"]), "lastUpdated": view["last_activity"]},
        "type": "collection",
        "timestamp": datetime.now(UTC).isoformat(),
        "entry": entries,
    }


def _care_plan(view: dict[str, Any]) -> dict[str, Any]:
    plan_id = view["plan_id"]
    period = {"start": view["opened_at"], **({"end": view["closed_at"]} if view.get("closed_at") else {})}
    goals = {g["goal_id"] for g in view.get("goals", [])}
    members = {m["member_id"] for m in view.get("members", [])}
    author = (
        {"author": {"reference": ref("Practitioner", view["regisseur_id"]), "type": "Practitioner"}}
        if view.get("regisseur_id")
        else {}
    )
    return _resource(
        "CarePlan",
        plan_id,
        identifier=_identifier("plan", plan_id),
        status="active" if view["status"] == "open" else "completed",
        intent="plan",
        title="Gezinsplan",
        subject={"reference": ref("Group", plan_id), "type": "Group"},
        period=period,
        **author,
        careTeam=[{"reference": ref("CareTeam", plan_id)}],
        goal=[{"reference": ref("Goal", f"{plan_id}/{g['goal_id']}")} for g in view.get("goals", [])],
        activity=[_activity(plan_id, a, goals, members) for a in view.get("agreements", [])],
    )


def _activity(plan_id: str, agreement: dict[str, Any], goals: set[str], members: set[str]) -> dict[str, Any]:
    detail: dict[str, Any] = {"status": ACTIVITY_STATUS.get(agreement.get("status", ""), "unknown")}
    if agreement.get("action"):
        detail["description"] = agreement["action"]
    if agreement.get("due_date"):
        detail["scheduledPeriod"] = {"end": agreement["due_date"]}
    # The goal it serves, when the caller sees that goal: no reference to a resource left out.
    if agreement.get("goal_id") in goals:
        detail["goal"] = [{"reference": ref("Goal", f"{plan_id}/{agreement['goal_id']}")}]
    performers = _performers(agreement.get("responsible") or {}, members)
    if performers:
        detail["performer"] = performers
    return {"detail": detail}


def _performers(responsible: dict[str, Any], members: set[str]) -> list[dict[str, Any]]:
    """Who does the agreement: the professional and their organisation, or a household member."""
    found = []
    if responsible.get("professional_id"):
        found.append(
            {"reference": ref("Practitioner", responsible["professional_id"]), "type": "Practitioner"}
        )
    if responsible.get("organisation_id"):
        found.append(
            {"reference": ref("Organization", responsible["organisation_id"]), "type": "Organization"}
        )
    if responsible.get("member_id") in members:  # a member the caller sees has a Patient here
        found.append({"reference": ref("Patient", responsible["member_id"]), "type": "Patient"})
    return found


def _group(view: dict[str, Any]) -> dict[str, Any]:
    members = view.get("members", [])
    return _resource(
        "Group",
        view["plan_id"],
        identifier=_identifier("household", view["plan_id"]),
        type="person",
        actual=True,
        quantity=len(members),
        member=[{"entity": {"reference": ref("Patient", m["member_id"])}} for m in members],
    )


def _address(address: dict[str, Any] | None) -> dict[str, Any] | None:
    """A FHIR Address for a residential or postal address the caller may see; else None."""
    kind = (address or {}).get("kind")
    if address is None or kind not in ADDRESS_TYPE:
        return None
    line = " ".join(str(address[k]) for k in ("street", "house_number") if address.get(k))
    found: dict[str, Any] = {"use": "home", "type": ADDRESS_TYPE[kind], "country": "NL"}
    if line:
        found["line"] = [line]
    if address.get("postal_code"):
        found["postalCode"] = address["postal_code"]
    if address.get("city"):
        found["city"] = address["city"]
    return found


def _housing(view: dict[str, Any]) -> list[dict[str, Any]]:
    """No fixed address: an Observation of the household's housing status, not an empty Address."""
    if (view.get("address") or {}).get("kind") != "none":
        return []
    plan_id = view["plan_id"]
    observation = _resource(
        "Observation",
        f"{plan_id}/housing-status",
        status="final",
        category=[{"coding": [{"system": OBSERVATION_CATEGORY, "code": "social-history"}]}],
        code={"coding": [HOUSING_STATUS], "text": "Woonsituatie"},
        subject={"reference": ref("Group", plan_id), "type": "Group"},
        valueCodeableConcept={"coding": [HOMELESS], "text": "Geen vaste woon- of verblijfplaats"},
    )
    return [observation]


def _patient(member: dict[str, Any], address: dict[str, Any] | None = None) -> dict[str, Any]:
    identifiers = _identifier("member", member["member_id"])
    if member.get("bsn"):
        identifiers.append({"system": BSN_SYSTEM, "value": member["bsn"]})
    fields: dict[str, Any] = {"identifier": identifiers}
    name = {
        **({"family": member["family_name"]} if member.get("family_name") else {}),
        **({"given": [member["given_name"]]} if member.get("given_name") else {}),
    }
    if name:
        fields["name"] = [name]
    if member.get("birth_date"):
        fields["birthDate"] = member["birth_date"]
    if address is not None:
        fields["address"] = [address]
    return _resource("Patient", member["member_id"], **fields)


def _care_team(view: dict[str, Any]) -> dict[str, Any]:
    participants = [
        {
            "role": [
                {
                    "text": "regisseur"
                    if p["professional_id"] == view.get("regisseur_id")
                    else p.get("role", "member")
                }
            ],
            "member": {"reference": ref("Practitioner", p["professional_id"]), "type": "Practitioner"},
            "onBehalfOf": {"reference": ref("Organization", p["organisation_id"]), "type": "Organization"},
        }
        for p in view.get("care_team", [])
    ]
    return _resource(
        "CareTeam",
        view["plan_id"],
        status="active" if view["status"] == "open" else "inactive",
        subject={"reference": ref("Group", view["plan_id"]), "type": "Group"},
        participant=participants,
    )


def _team_role(participant: dict[str, Any], regisseur_id: str | None) -> str:
    if participant["professional_id"] == regisseur_id:
        return "regisseur"
    return str(participant.get("role", "member"))


def _directory(pros: set[str], orgs: set[str], names: Mapping[str, str]) -> list[dict[str, Any]]:
    def practitioner(key: str) -> dict[str, Any]:
        name = names.get(f"professional:{key}")
        return _resource(
            "Practitioner",
            key,
            identifier=_identifier("professional", key),
            **({"name": [{"text": name}]} if name else {}),
        )

    def organization(key: str) -> dict[str, Any]:
        name = names.get(f"organisation:{key}")
        return _resource(
            "Organization",
            key,
            identifier=_identifier("organisation", key),
            **({"name": name} if name else {}),
        )

    return [*(practitioner(k) for k in sorted(pros)), *(organization(k) for k in sorted(orgs))]


def _goal(plan_id: str, goal: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "identifier": _identifier("goal", goal["goal_id"]),
        "lifecycleStatus": LIFECYCLE.get(goal.get("status", "open"), "active"),
        "achievementStatus": achievement(goal.get("status", "open"), goal.get("score")),
        "category": [{"coding": [{"system": f"{BASE}/CodeSystem/zrm", "code": goal["life_domain"]}]}],
        "description": {"text": goal.get("description") or f"ZRM: {goal['life_domain']}"},
        "subject": {"reference": ref("Group", plan_id), "type": "Group"},
    }
    if goal.get("set_at"):
        fields["startDate"] = goal["set_at"][:10]
    if goal.get("target_date"):
        fields["target"] = [{"dueDate": goal["target_date"]}]
    return _resource("Goal", f"{plan_id}/{goal['goal_id']}", **fields)


def achievement(status: str, score: int | None) -> dict[str, Any]:
    """The goal-achievement code for a goal's status and latest ZRM score (1-5)."""
    if status == "achieved":
        code = "achieved"
    elif status == "dropped":
        code = "not-achieved"
    elif score is None or score == 3:
        code = "in-progress"
    else:
        code = "no-progress" if score < 3 else "improving"
    concept: dict[str, Any] = {"coding": [{"system": ACHIEVEMENT, "code": code}]}
    if score is not None:
        concept["text"] = f"ZRM score {score} of 5"
    return concept
