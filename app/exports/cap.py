"""OASIS CAP 1.2 alerts for incidents, and a validator for CAP 1.2's schema rules.

``status`` is ``Actual`` for live incidents and ``Exercise`` for training ones; a later
revision is an ``Update`` that references the previous message.  Times carry a numeric
UTC offset (CAP forbids "Z").  The validator checks element order and cardinality,
required elements, enumerations, time and identifier syntax, and circle/polygon syntax —
the rules of the CAP 1.2 XML schema and specification, without network access.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
_Q = "{" + CAP_NS + "}"

_SEVERITY = {"multiple_gunshots": "Severe", "single_gunshot": "Severe", "possible_gunfire": "Moderate"}
_CERTAINTY = {"multiple_gunshots": "Likely", "single_gunshot": "Likely", "possible_gunfire": "Possible"}
_EVENT = {"multiple_gunshots": "Multiple gunshots", "single_gunshot": "Single gunshot",
          "possible_gunfire": "Possible gunfire"}


_REVIEW = {"probable_fireworks": "probable fireworks", "non_gunfire": "probably not gunfire"}


def _review_words(doc: dict) -> str:
    """" — probable fireworks, under review" when the audio marked the incident for review."""
    label = doc.get("review_label")
    return f" — {_REVIEW.get(label, str(label).replace('_', ' '))}, under review" if label else ""


def identifier_for(doc: dict, agency_id: str, revision: int | None = None) -> str:
    return f"tocsin-{agency_id}-{_safe(doc['uid'])}-r{revision or doc['revision']}"


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._:-]", "_", str(text))


def to_cap(doc: dict, *, agency_id: str, agency_name: str, type_code: str, sender: str | None = None,
           language: str = "en-US") -> bytes:
    sender = sender or f"tocsin@{_safe(agency_id)}"
    alert = ET.Element("alert", {"xmlns": CAP_NS})

    def sub(parent, tag, text=None):
        el = ET.SubElement(parent, tag)
        if text is not None:
            el.text = str(text)
        return el

    sub(alert, "identifier", identifier_for(doc, agency_id))
    sub(alert, "sender", sender)
    sub(alert, "sent", doc["updated"])
    sub(alert, "status", "Exercise" if doc["exercise"] else "Actual")
    sub(alert, "msgType", "Update" if doc["revision"] > 1 else "Alert")
    sub(alert, "source", "Tocsin acoustic gunfire detection")
    if doc["public"]:
        sub(alert, "scope", "Public")
    else:
        sub(alert, "scope", "Restricted")
        sub(alert, "restriction", "Law enforcement and public-safety dispatch only")
    if doc["exercise"]:
        sub(alert, "note", "EXERCISE — training incident, not real gunfire")
    if doc["revision"] > 1 and doc["previous_revision_created"]:
        sub(alert, "references", f"{sender},{identifier_for(doc, agency_id, doc['revision'] - 1)},"
                                 f"{doc['previous_revision_created']}")
    info = sub(alert, "info")
    sub(info, "language", language)
    sub(info, "category", "Security")
    sub(info, "event", _EVENT[doc["kind"]])
    sub(info, "urgency", "Immediate" if doc["status"] != "closed" else "Past")
    sub(info, "severity", _SEVERITY[doc["kind"]])
    sub(info, "certainty", "Unlikely" if doc.get("review_label") else _CERTAINTY[doc["kind"]])
    code = sub(info, "eventCode")
    sub(code, "valueName", "CAD")
    sub(code, "value", type_code)
    sub(info, "effective", doc["start"])
    sub(info, "senderName", agency_name)
    where = doc["address"] or (f"{doc['lat']:.5f}, {doc['lon']:.5f}" if doc["lat"] is not None else "location pending")
    sub(info, "headline", f"{_EVENT[doc['kind']]} ({doc['rounds']} round{'s' if doc['rounds'] != 1 else ''})"
                          f"{_review_words(doc)} — {where}")
    sub(info, "description", f"Acoustic detection of {doc['rounds']} round(s) starting {doc['start']}; "
                             + (f"location uncertainty {doc['err95_m']:.0f} m (95 %). " if doc["err95_m"] is not None
                                else "location uncertainty not recorded. ") + f"Incident {doc['uid']}, "
                             f"revision {doc['revision']}.")
    for name, value in (("incidentId", doc["uid"]), ("rounds", doc["rounds"]), ("shooters", doc["shooters"]),
                        ("revision", doc["revision"]), ("err95_m", doc["err95_m"]), ("tags", ",".join(doc["tags"])),
                        ("gunfireProbability", None if doc.get("gunfire_p") is None else f"{doc['gunfire_p']:.2f}"),
                        ("reviewLabel", doc.get("review_label"))):
        if value not in (None, ""):
            p = sub(info, "parameter")
            sub(p, "valueName", name)
            sub(p, "value", value)
    area = sub(info, "area")
    sub(area, "areaDesc", where)
    if doc["lat"] is not None:
        radius_km = max(doc["err95_m"] or 25.0, 1.0) / 1000.0
        sub(area, "circle", f"{doc['lat']:.6f},{doc['lon']:.6f} {radius_km:.3f}")
    ET.indent(alert)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(alert, encoding="utf-8")


# ------------------------------------------------------------------ validation
_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")
_ENUMS = {
    "status": ("Actual", "Exercise", "System", "Test", "Draft"),
    "msgType": ("Alert", "Update", "Cancel", "Ack", "Error"),
    "scope": ("Public", "Restricted", "Private"),
    "category": ("Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
                 "CBRNE", "Other"),
    "responseType": ("Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None"),
    "urgency": ("Immediate", "Expected", "Future", "Past", "Unknown"),
    "severity": ("Extreme", "Severe", "Moderate", "Minor", "Unknown"),
    "certainty": ("Observed", "Likely", "Possible", "Unlikely", "Unknown"),
}
# (element, min, max) in schema order; max None = unbounded
_ALERT_SEQ = [("identifier", 1, 1), ("sender", 1, 1), ("sent", 1, 1), ("status", 1, 1), ("msgType", 1, 1),
              ("source", 0, 1), ("scope", 1, 1), ("restriction", 0, 1), ("addresses", 0, 1), ("code", 0, None),
              ("note", 0, 1), ("references", 0, 1), ("incidents", 0, 1), ("info", 0, None)]
_INFO_SEQ = [("language", 0, 1), ("category", 1, None), ("event", 1, 1), ("responseType", 0, None),
             ("urgency", 1, 1), ("severity", 1, 1), ("certainty", 1, 1), ("audience", 0, 1), ("eventCode", 0, None),
             ("effective", 0, 1), ("onset", 0, 1), ("expires", 0, 1), ("senderName", 0, 1), ("headline", 0, 1),
             ("description", 0, 1), ("instruction", 0, 1), ("web", 0, 1), ("contact", 0, 1), ("parameter", 0, None),
             ("resource", 0, None), ("area", 0, None)]
_AREA_SEQ = [("areaDesc", 1, 1), ("polygon", 0, None), ("circle", 0, None), ("geocode", 0, None),
             ("altitude", 0, 1), ("ceiling", 0, 1)]
_PAIR_SEQ = [("valueName", 1, 1), ("value", 1, 1)]


def _local(el) -> str:
    return el.tag.split("}", 1)[1] if el.tag.startswith("{") else el.tag


def _check_seq(parent, seq, where: str, errors: list[str]) -> None:
    names = [_local(c) for c in parent]
    i = 0
    for name, lo, hi in seq:
        n = 0
        while i < len(names) and names[i] == name:
            n += 1
            i += 1
        if n < lo:
            errors.append(f"{where}: missing required <{name}>")
        if hi is not None and n > hi:
            errors.append(f"{where}: <{name}> appears {n} times (at most {hi})")
    if i < len(names):
        errors.append(f"{where}: unexpected or out-of-order <{names[i]}>")


def validate_cap(xml: bytes | str) -> list[str]:
    """Every CAP 1.2 rule the document breaks (empty list = valid)."""
    errors: list[str] = []
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        return [f"not well-formed XML: {exc}"]
    if root.tag != _Q + "alert":
        return [f"root element must be <alert> in namespace {CAP_NS}, got {root.tag}"]
    for el in root.iter():
        if not el.tag.startswith(_Q):
            errors.append(f"element {el.tag} is not in the CAP 1.2 namespace")
    _check_seq(root, _ALERT_SEQ, "alert", errors)
    text = {(_local(c)): (c.text or "").strip() for c in root}
    for key in ("identifier", "sender"):
        v = text.get(key, "")
        if not v or re.search(r"[\s,<&]", v):
            errors.append(f"alert/{key} must be non-empty without spaces, commas, '<' or '&': {v!r}")
    if not _DATETIME.match(text.get("sent", "")):
        errors.append(f"alert/sent must be a dateTime with a numeric UTC offset: {text.get('sent')!r}")
    for key in ("status", "msgType", "scope"):
        if key in text and text[key] not in _ENUMS[key]:
            errors.append(f"alert/{key} {text[key]!r} not one of {', '.join(_ENUMS[key])}")
    if text.get("scope") == "Restricted" and not text.get("restriction"):
        errors.append("alert/restriction is required when scope is Restricted")
    if text.get("scope") == "Private" and not text.get("addresses"):
        errors.append("alert/addresses is required when scope is Private")
    if text.get("msgType") in ("Update", "Cancel") and not text.get("references"):
        errors.append("an Update or Cancel should carry <references> to the earlier message")
    if text.get("references"):
        for ref in text["references"].split():
            parts = ref.split(",")
            if len(parts) != 3 or not _DATETIME.match(parts[2]):
                errors.append(f"alert/references entry {ref!r} must be sender,identifier,sent")
    for i, info in enumerate(root.findall(_Q + "info")):
        where = f"info[{i}]"
        _check_seq(info, _INFO_SEQ, where, errors)
        for c in info:
            name = _local(c)
            if name in _ENUMS and (c.text or "").strip() not in _ENUMS[name]:
                errors.append(f"{where}/{name} {c.text!r} not one of {', '.join(_ENUMS[name])}")
            if name in ("effective", "onset", "expires") and not _DATETIME.match((c.text or "").strip()):
                errors.append(f"{where}/{name} must be a dateTime with a numeric UTC offset")
            if name in ("eventCode", "parameter"):
                _check_seq(c, _PAIR_SEQ, f"{where}/{name}", errors)
            if name == "area":
                _check_seq(c, _AREA_SEQ, f"{where}/area", errors)
                for shape in c:
                    t = (shape.text or "").strip()
                    if _local(shape) == "circle" and not _valid_circle(t):
                        errors.append(f"{where}/area/circle {t!r} must be 'lat,lon radius_km'")
                    if _local(shape) == "polygon" and not _valid_polygon(t):
                        errors.append(f"{where}/area/polygon must be ≥ 4 'lat,lon' pairs, first = last")
    return errors


def _latlon(pair: str) -> bool:
    try:
        lat, lon = (float(v) for v in pair.split(","))
    except ValueError:
        return False
    return -90 <= lat <= 90 and -180 <= lon <= 180


def _valid_circle(t: str) -> bool:
    parts = t.split()
    if len(parts) != 2 or not _latlon(parts[0]):
        return False
    try:
        return float(parts[1]) >= 0
    except ValueError:
        return False


def _valid_polygon(t: str) -> bool:
    pts = t.split()
    return len(pts) >= 4 and pts[0] == pts[-1] and all(_latlon(p) for p in pts)
