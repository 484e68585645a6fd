"""accounts listening to allauth: its sign-ups (social) and verifications become ours."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialLogin
from django.db import transaction
from django.http import HttpRequest

from accounts import verification
from accounts.addresses import claim_welcome
from accounts.services import verification_mandatory
from accounts.signals import user_signed_up


def on_email_confirmed(
    sender: Any, *, request: HttpRequest, email_address: EmailAddress, **kwargs: Any
) -> None:
    """allauth's ``email_confirmed`` (the API's verify, allauth's confirmation page, a reset link)."""
    verification.announce(email_address.user, email_address.email)


def on_allauth_user_signed_up(
    sender: Any, *, request: HttpRequest, user: Any, sociallogin: SocialLogin | None = None, **kwargs: Any
) -> None:
    """allauth created an account (social sign-in; the API's sign-up does not go through
    allauth). An address the provider vouches for needs no verification of ours."""
    if sociallogin is None:
        return
    vouched = verification.is_verified(user)
    mandatory = verification_mandatory()
    with transaction.atomic():
        welcome = (vouched or not mandatory) and bool(user.email) and claim_welcome(user.email)
        user_signed_up.send(sender=on_allauth_user_signed_up, user=user, welcome=welcome)
