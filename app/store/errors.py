"""Errors the store and the services built on it raise.

Every one carries a message a dispatcher or an administrator can act on; the CLI prints
it as one line.  A service that raises one has written nothing.
"""
from __future__ import annotations


class StoreError(Exception):
    """Base class of every error from ``app.store`` and the services over it."""


class ValidationError(StoreError, ValueError):
    """Input a service refuses: the message names the field and the rule broken."""


class NotFoundError(StoreError, LookupError):
    """A record that the caller named does not exist (or was purged)."""


class PermissionDenied(StoreError, PermissionError):
    """The acting user's role may not do this (or the account is locked or inactive)."""


class SchemaError(StoreError):
    """The database file is newer than this program, or not a Tocsin database."""


class ReadOnlySnapshotError(StoreError):
    """A write attempted inside ``Store.read_snapshot()``, which only reads."""
