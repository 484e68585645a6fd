"""Shared pieces of the credits management commands."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.management.base import CommandError

from credits.selectors import Balance


def user_by_email(email: str) -> AbstractBaseUser:
    email = email.strip()
    user = get_user_model().objects.filter(email__iexact=email).order_by("pk").first()
    if user is None:
        raise CommandError(f"No user has the email {email!r}.")
    return user


def describe(balance: Balance) -> str:
    return (
        f"available {balance.available}, frozen {balance.frozen}, used {balance.used}, total {balance.total}"
    )
