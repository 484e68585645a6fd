"""Creating accounts."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractUser
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from accounts import verification
from accounts.addresses import claim_welcome
from accounts.errors import EmailTakenError
from accounts.signals import user_signed_up


def verification_mandatory() -> bool:
    return settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory"


def sign_up(*, email: str, password: str, name: str = "", request: HttpRequest | None = None) -> AbstractUser:
    """Create the account and announce it (``user_signed_up``) in one transaction.

    The address starts unverified; with ``request`` (links are built from it) the
    verification link is emailed once the account is committed.
    """
    User = get_user_model()
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=email, email=email, password=password, first_name=name)
            EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
            # Without mandatory verification the address counts as a new person's now;
            # with it, on its first verification (accounts.receivers).
            welcome = not verification_mandatory() and claim_welcome(email)
            user_signed_up.send(sender=sign_up, user=user, welcome=welcome)
    except IntegrityError as error:
        raise EmailTakenError(email) from error
    if request is not None and settings.ACCOUNT_EMAIL_VERIFICATION != "none":
        verification.send_link(request, user, signup=True)
    return user


def sign_up_quietly(request: HttpRequest, *, email: str, password: str, name: str = "") -> None:
    """Sign-up when verification is mandatory: a new address gets its verification link,
    a taken one a note to its owner. Both cost a password hash and one email, so neither
    the answer nor its timing tells them apart."""
    User = get_user_model()
    if not User.objects.filter(username=email).exists():
        try:
            sign_up(email=email, password=password, name=name, request=request)
            return
        except EmailTakenError:
            pass  # a parallel sign-up took it: answer as for any taken address
    make_password(password)
    get_adapter(request).send_account_already_exists_mail(email)
