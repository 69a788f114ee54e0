"""Exports (CAP 1.2, EIDO-style JSON, GeoJSON, CSV) and incident-history import.  No Qt."""
from app.exports.cap import to_cap, validate_cap
from app.exports.document import incident_document
from app.exports.eido import to_eido, validate_eido
from app.exports.history import BUILTIN as BUILTIN_MAPPINGS
from app.exports.history import ColumnMapping, ImportReport, import_history, load_mapping
from app.exports.tables import to_csv, to_geojson

__all__ = ["BUILTIN_MAPPINGS", "ColumnMapping", "ImportReport", "import_history", "incident_document", "load_mapping",
           "to_cap", "to_csv", "to_eido", "to_geojson", "validate_cap", "validate_eido"]
