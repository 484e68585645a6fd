"""Taking, renewing and giving back a named lease (kensa.models.Lease)."""

from __future__ import annotations

import os
import secrets
import socket
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from kensa.models import Lease


def holder_id() -> str:
    """This process, readable in the admin or a log: host, pid and a random tag."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def acquire(name: str, holder: str, seconds: float) -> bool:
    """Take or renew the lease for ``seconds``; False when another holder's is still running."""
    now = timezone.now()
    try:
        with transaction.atomic():
            Lease.objects.get_or_create(name=name)
    except IntegrityError:
        pass  # another process created the row at the same moment
    taken = (
        Lease.objects.filter(name=name)
        .filter(Q(holder=holder) | Q(holder="") | Q(expires_at__isnull=True) | Q(expires_at__lt=now))
        .update(holder=holder, expires_at=now + timedelta(seconds=seconds))
    )
    return taken == 1


def release(name: str, holder: str) -> None:
    """Give the lease back (only if still ours), so another process need not wait it out."""
    Lease.objects.filter(name=name, holder=holder).update(holder="", expires_at=None)


def current_holder(name: str) -> str:
    lease = Lease.objects.filter(name=name, expires_at__gt=timezone.now()).first()
    return lease.holder if lease else ""
