"""GeoJSON and CSV exports of incident lists.  Neither ever carries sensor positions."""
from __future__ import annotations

import csv
import io

CSV_FIELDS = ("uid", "start", "kind", "rounds", "shooters", "lat", "lon", "err95_m", "address", "status",
              "disposition", "revision", "exercise", "source", "tags", "cad_numbers", "units")


def to_geojson(docs: list[dict]) -> dict:
    features = []
    for d in docs:
        props = {k: d[k] for k in CSV_FIELDS if k not in ("lat", "lon")}
        if not d["public"]:
            props["shots"] = [{k: v for k, v in s.items() if k != "t_ns"} for s in d["shots"]]
        features.append({
            "type": "Feature", "id": d["uid"],
            "geometry": None if d["lat"] is None else {"type": "Point", "coordinates": [d["lon"], d["lat"]]},
            "properties": props,
        })
    return {"type": "FeatureCollection", "features": features}


def to_csv(docs: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for d in docs:
        row = {k: d[k] for k in CSV_FIELDS}
        row["tags"] = ";".join(d["tags"])
        row["cad_numbers"] = ";".join(d["cad_numbers"])
        row["units"] = ";".join(d["units"])
        row["exercise"] = int(d["exercise"])
        w.writerow(row)
    return buf.getvalue()
