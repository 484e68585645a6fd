"""Who may change credits by hand: one rule for the admin form and the staff API."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# The admin shows the ledger read-only; "change credit account" is what adjusting it takes.
ADJUST_PERMISSION = "credits.change_creditaccount"


def may_adjust(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm(ADJUST_PERMISSION))
