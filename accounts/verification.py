"""Proving an address: the emailed link, its key, and what verifying it sets off."""

from __future__ import annotations

from allauth.account.models import EmailAddress, EmailConfirmationHMAC, get_emailconfirmation_model
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import HttpRequest

from accounts.addresses import claim_welcome
from accounts.errors import InvalidKeyError
from accounts.signals import email_verified


def primary_address(user: AbstractBaseUser) -> EmailAddress:
    """The user's address as allauth records it (accounts older than allauth get one now)."""
    address = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
    if address is None:
        address, _ = EmailAddress.objects.get_or_create(
            user=user, email=user.email, defaults={"primary": True, "verified": False}
        )
    return address


def is_verified(user: AbstractBaseUser) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def verified_in_query() -> Exists:
    """``is_verified`` as an expression over a queryset of users (one query for a list)."""
    return Exists(
        EmailAddress.objects.filter(user=OuterRef("pk"), email__iexact=OuterRef("email"), verified=True)
    )


def send_link(request: HttpRequest, user: AbstractBaseUser, *, signup: bool = False) -> bool:
    """Email a verification link to the user's address; False if it is verified already."""
    address = primary_address(user)
    if address.verified:
        return False
    # A signed, expiring key (ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS); nothing is stored.
    EmailConfirmationHMAC(address).send(request, signup=signup)
    return True


def resend(request: HttpRequest, email: str) -> None:
    """A new link for an account with this unverified address; nothing for any other."""
    user = get_user_model().objects.filter(username=email.strip().lower(), is_active=True).first()
    if user is not None:
        send_link(request, user)


def verify(request: HttpRequest, key: str) -> EmailAddress:
    """Verify the address the key was made for. A key works once, until it expires."""
    confirmation = get_emailconfirmation_model().from_key(key)
    if confirmation is None or confirmation.key_expired() or confirmation.email_address.verified:
        raise InvalidKeyError()
    # confirm() marks it verified and sends allauth's email_confirmed: announced() below.
    address = confirmation.confirm(request)
    if address is None:
        raise InvalidKeyError()
    return address


def announce(user: AbstractBaseUser, email: str) -> None:
    """An address was verified (by link, password reset or a provider that vouches for it)."""
    with transaction.atomic():
        email_verified.send(sender=announce, user=user, email=email, welcome=claim_welcome(email))
