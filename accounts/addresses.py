"""Email addresses as the once-per-address rules see them."""

from __future__ import annotations

import hashlib

from django.db import IntegrityError, transaction

from accounts.models import WelcomedAddress

# Mailboxes that ignore dots in the local part: a.b@gmail.com is ab@gmail.com.
DOTLESS_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def normalise(email: str) -> str:
    """One mailbox, one form: lower case, no ``+tag``, no dots where the provider ignores them."""
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in DOTLESS_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def address_hash(email: str) -> str:
    return hashlib.sha256(f"kensa-welcomed-address:{normalise(email)}".encode()).hexdigest()


def claim_welcome(email: str) -> bool:
    """Record that this address has been welcomed. True only the first time, ever."""
    try:
        with transaction.atomic():
            WelcomedAddress.objects.create(address_hash=address_hash(email))
    except IntegrityError:  # welcomed before, or a parallel claim won: the key decides
        return False
    return True
