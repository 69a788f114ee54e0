"""A NENA EIDO-style JSON incident object (after NENA-STA-024: incident, location with an
uncertainty ellipse and confidence, agency, dispatch/resources and notes components).

It follows EIDO's component structure and names but is not certified against NENA's
JSON schema; ``validate_eido`` checks the structure Tocsin promises.
"""
from __future__ import annotations

from app.exports.document import APCO_TYPE

EIDO_VERSION = "tocsin-eido-style/1"
_STATUS = {"new": "Pending", "acknowledged": "Acknowledged", "dispatched": "Dispatched", "on_scene": "OnScene",
           "closed": "Closed"}


def to_eido(doc: dict, *, agency_id: str, agency_name: str, type_code: str, priority: int) -> dict:
    loc: dict = {"locationId": f"{doc['uid']}-loc-r{doc['revision']}", "locationTypeDescription": "acoustic"}
    if doc["lat"] is not None:
        loc["locationByValue"] = {
            "type": "Ellipse",
            "center": {"latitude": doc["lat"], "longitude": doc["lon"]},
            "semiMajorAxis_m": doc["semi_major_m"] or doc["err95_m"],
            "semiMinorAxis_m": doc["semi_minor_m"] or doc["err95_m"],
            "orientation_deg": doc["orientation_deg"] or 0.0,
            "confidence_pct": 95,
        }
    if doc["address"]:
        loc["civicAddressText"] = doc["address"]
    eido = {
        "$schema": EIDO_VERSION,
        "eidoMessageIdentifier": f"{agency_id}:{doc['uid']}:r{doc['revision']}",
        "lastUpdateTimeStamp": doc["updated"],
        "exercise": doc["exercise"],
        "incidentComponent": {
            "componentIdentifier": f"{doc['uid']}-incident",
            "incidentTrackingIdentifier": doc["uid"],
            "incidentCreationTimeStamp": doc["start"],
            "incidentTypeCommonRegistryText": APCO_TYPE,
            "incidentTypeLocalText": type_code,
            "incidentPriority": priority,
            "incidentStatusCommonRegistryText": _STATUS[doc["status"]],
            "dispositionText": doc["disposition"],
            "locationReference": loc["locationId"],
        },
        "locationComponent": [loc],
        "agencyComponent": [{"agencyIdentifier": agency_id, "agencyName": agency_name}],
        "emergencyResourceComponent": [{"resourceIdentifier": u} for u in doc["units"]],
        "dispatchComponent": [{"cadIncidentNumber": c} for c in doc["cad_numbers"]],
        "notesComponent": [{"noteText": f"{doc['rounds']} round(s), {doc['kind'].replace('_', ' ')}"
                                        + (f", {doc['review_label'].replace('_', ' ')} — under review"
                                           if doc.get("review_label") else "")
                                        + f"; revision {doc['revision']} of the record"}],
        "additionalDataComponent": {
            "rounds": doc["rounds"], "shooters": doc["shooters"], "kind": doc["kind"], "tags": doc["tags"],
            "revision": doc["revision"], "gunfireProbability": doc.get("gunfire_p"),
            "reviewLabel": doc.get("review_label"),
            "shots": [{k: v for k, v in s.items() if k != "t_ns"} for s in doc["shots"]],
        },
    }
    return eido


_REQUIRED = ("$schema", "eidoMessageIdentifier", "lastUpdateTimeStamp", "incidentComponent", "locationComponent",
             "agencyComponent")


def validate_eido(obj: dict) -> list[str]:
    errors = [f"missing {k}" for k in _REQUIRED if k not in obj]
    if errors:
        return errors
    inc = obj["incidentComponent"]
    for k in ("incidentTrackingIdentifier", "incidentTypeCommonRegistryText", "incidentStatusCommonRegistryText",
              "locationReference"):
        if not inc.get(k):
            errors.append(f"incidentComponent.{k} is required")
    if inc.get("incidentStatusCommonRegistryText") not in _STATUS.values():
        errors.append("incidentComponent.incidentStatusCommonRegistryText has an unknown value")
    locs = obj["locationComponent"]
    if not isinstance(locs, list) or not locs:
        errors.append("locationComponent must be a non-empty list")
    else:
        ids = {loc.get("locationId") for loc in locs}
        if inc.get("locationReference") not in ids:
            errors.append("incidentComponent.locationReference names no locationComponent")
        for loc in locs:
            geo = loc.get("locationByValue")
            if geo is None:
                continue
            c = geo.get("center", {})
            if not (-90 <= c.get("latitude", 999) <= 90 and -180 <= c.get("longitude", 999) <= 180):
                errors.append("location center latitude/longitude out of range")
            if not (geo.get("semiMajorAxis_m", -1) >= geo.get("semiMinorAxis_m", 0) >= 0):
                errors.append("ellipse needs semiMajorAxis_m ≥ semiMinorAxis_m ≥ 0")
            if not 0 < geo.get("confidence_pct", 0) < 100:
                errors.append("ellipse confidence_pct must be between 0 and 100")
    if not obj["agencyComponent"] or not obj["agencyComponent"][0].get("agencyIdentifier"):
        errors.append("agencyComponent needs an agencyIdentifier")
    return errors
