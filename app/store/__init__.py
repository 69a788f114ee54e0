"""Tocsin's records in SQLite (via sqlite-utils): sensors, pulses, incidents with immutable
revisions, workflow records and a hash-chained audit log.  No Qt."""
from app.store.audit import AuditReport
from app.store.clock import Clock, ManualClock, SystemClock
from app.store.errors import (
    NotFoundError,
    PermissionDenied,
    ReadOnlySnapshotError,
    SchemaError,
    StoreError,
    ValidationError,
)
from app.store.records import (
    ImportedIncident,
    IncidentDetail,
    IncidentQuery,
    IncidentRow,
    IncidentSummary,
    RecordResult,
    Revision,
    SensorRecord,
    ShotOutline,
)
from app.store.schema import DISPOSITIONS, ROLES, SCHEMA_VERSION, STATUSES
from app.store.store import Store, default_db_path

__all__ = [
    "AuditReport", "Clock", "DISPOSITIONS", "ImportedIncident", "IncidentDetail", "IncidentQuery", "IncidentRow",
    "IncidentSummary", "ManualClock", "NotFoundError", "PermissionDenied", "ROLES", "ReadOnlySnapshotError",
    "RecordResult", "Revision", "SCHEMA_VERSION", "STATUSES", "SchemaError", "SensorRecord", "ShotOutline", "Store",
    "StoreError", "SystemClock", "ValidationError", "default_db_path",
]
