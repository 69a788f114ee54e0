"""Release control: exporting incident reports (and audio) outside the agency.

Only the agency's authorizing roles may release outside (Sacramento: a captain of the
Office of the Chief or higher — an ``admin`` account in Tocsin); internal exports need
an analyst, supervisor or admin.  Every release and export is audited with who, to whom
and what.  Anything public never includes sensor ids or positions.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from app.dispatch.agency import AgencyProfile
from app.dispatch.users import Users
from app.exports import cap, eido, tables
from app.exports.document import incident_document
from app.store import Store
from app.store.errors import PermissionDenied, ValidationError

ExportFormat = Literal["cap", "eido", "geojson", "csv"]
FORMATS: tuple[str, ...] = ("cap", "eido", "geojson", "csv")
INTERNAL_ROLES = ("analyst", "supervisor", "admin")
INTERNAL = "internal"


@dataclass(frozen=True, slots=True)
class ExportResult:
    format: str
    files: dict[str, bytes]  # suggested file name → content
    incident_ids: tuple[int, ...]
    public: bool


class Releases:
    def __init__(self, store: Store, agency: AgencyProfile) -> None:
        self.store = store
        self.agency = agency
        self.users = Users(store)

    def export(self, incident_ids: list[int] | tuple[int, ...], fmt: str, *, user_id: str,
               recipient: str = INTERNAL, public: bool = False, include_audio: bool = False) -> ExportResult:
        """Render incidents in ``fmt``.  ``recipient`` other than ``"internal"`` is a release
        outside the agency and needs an authorizing role; ``public=True`` strips sensor data."""
        if fmt not in FORMATS:
            raise ValidationError(f"export format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        recipient = (recipient or "").strip()
        if not recipient:
            raise ValidationError("name the recipient of the export (or 'internal')")
        outside = recipient != INTERNAL
        if public and not outside:
            raise ValidationError("a public release must name its recipient")
        roles = self.agency.release_roles if outside else INTERNAL_ROLES
        try:
            self.users.require(user_id, roles, action=("release incident data outside the agency" if outside
                                                       else "export incident data"))
        except PermissionDenied as exc:
            with self.store.transaction() as conn:
                self.store.audit(conn, actor=user_id or "?", action="release.denied", entity="release",
                                 details={"recipient": recipient, "format": fmt, "incidents": list(incident_ids),
                                          "reason": str(exc)})
            if outside and self.agency.release_title:
                raise PermissionDenied(f"{exc} ({self.agency.name}: {self.agency.release_title})") from None
            raise
        if include_audio and public:
            raise ValidationError("audio is not released to the public")
        ids = tuple(dict.fromkeys(int(i) for i in incident_ids))
        if not ids:
            raise ValidationError("no incidents selected for export")
        docs = [incident_document(self.store, self.store.get_incident(i), public=public) for i in ids]
        files = self._render(docs, fmt)
        with self.store.transaction() as conn:
            now = self.store.clock.now_ns()
            for i in ids:
                conn.execute("INSERT INTO releases (incident_id, t_ns, user_id, recipient, public, include_audio, format) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)", (i, now, user_id, recipient, int(public), int(include_audio), fmt))
            self.store.audit(conn, actor=user_id, action="release" if outside else "export", entity="release",
                             details={"recipient": recipient, "format": fmt, "public": public,
                                      "include_audio": include_audio, "incidents": list(ids)}, t_ns=now)
        return ExportResult(fmt, files, ids, public)

    def _render(self, docs: list[dict], fmt: str) -> dict[str, bytes]:
        a = self.agency
        if fmt == "cap":
            return {f"{cap.identifier_for(d, a.id)}.xml": cap.to_cap(d, agency_id=a.id, agency_name=a.name,
                                                                     type_code=a.type_code) for d in docs}
        if fmt == "eido":
            objs = [eido.to_eido(d, agency_id=a.id, agency_name=a.name, type_code=a.type_code, priority=a.priority)
                    for d in docs]
            return {"incidents.eido.json": json.dumps(objs if len(objs) > 1 else objs[0], indent=2).encode()}
        if fmt == "geojson":
            return {"incidents.geojson": json.dumps(tables.to_geojson(docs), indent=1).encode()}
        return {"incidents.csv": tables.to_csv(docs).encode()}
