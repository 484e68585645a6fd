"""Named locks held until the end of the current transaction."""

from __future__ import annotations

from django.db import connection


def hold_until_commit(name: str) -> None:
    """Wait for, then hold, the lock ``name`` until the current transaction ends.

    Call inside ``transaction.atomic()``. On PostgreSQL an advisory transaction lock on the
    name's hash (two names sharing a hash only wait for each other, never deadlock on
    their own); SQLite runs one writer at a time, which serialises already.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])
