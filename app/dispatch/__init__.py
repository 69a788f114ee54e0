"""Dispatch workflow services (the general orders as code).  No Qt.

    store = Store.open(path); agency = load_agency("pasadena")
    Intake(store, frame, locator)  the engine pipeline's entry: record incident + address in words
    Workflow(store, agency)        lifecycle, supervisor confirmation, escalation, monitors
    Users(store)                   users, roles, log-in with lockout, sessions
    CitizenCalls(store, agency)    duplicate calls, pertinent info, EMS requests
    MissedIncidents(store, agency) missed-incident reports due in 24 h, overdue list
    Releases(store, agency)        exports and releases by role, audited, public = no sensor data
    Retention(store, agency)       purge after N years, legal holds
    can(role, permission)          the role table the services enforce (``roles``)
    dispositions.CHOICES           dispositions in words → what ``Workflow.close`` records
"""
from app.dispatch.agency import AgencyProfile, AgencyProfileError, default_agency, load_agency, shipped_agencies
from app.dispatch.calls import CallResult, CitizenCalls
from app.dispatch.dispositions import DispositionChoice
from app.dispatch.intake import Intake
from app.dispatch.missed import MissedIncidents, MissedReport
from app.dispatch.release import FORMATS, ExportResult, Releases
from app.dispatch.retention import PurgeResult, Retention
from app.dispatch.roles import PERMISSIONS, can, permissions_of
from app.dispatch.users import MAX_FAILED_LOGINS, Session, User, Users
from app.dispatch.workflow import Escalation, IllegalTransition, MonitorStatus, Workflow

__all__ = ["AgencyProfile", "AgencyProfileError", "CallResult", "CitizenCalls", "DispositionChoice", "Escalation", "ExportResult", "FORMATS",
           "IllegalTransition", "Intake", "MAX_FAILED_LOGINS", "MissedIncidents", "MissedReport", "MonitorStatus", "PERMISSIONS", "PurgeResult",
           "Releases", "Retention", "Session", "User", "Users", "Workflow", "can", "default_agency", "load_agency",
           "permissions_of", "shipped_agencies"]
