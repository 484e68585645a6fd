"""Kensa's own plumbing tables (no domain data)."""

from __future__ import annotations

from django.db import models


class Lease(models.Model):
    """A named lease held by one process at a time (the periodic jobs' scheduler).

    A row, not an advisory lock or a Redis key: it works the same on PostgreSQL and on the
    quick start's SQLite, and it survives Redis being restarted. Taken and renewed by one
    conditional UPDATE (free, expired, or already ours), which both databases apply
    atomically.
    """

    name = models.CharField(max_length=64, primary_key=True)
    holder = models.CharField(max_length=128, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.holder or 'free'})"
