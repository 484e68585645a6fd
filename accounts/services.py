"""Creating accounts."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import IntegrityError, transaction

from accounts.errors import EmailTakenError
from accounts.signals import user_signed_up


def sign_up(*, email: str, password: str, name: str = "") -> AbstractUser:
    """Create the account and announce it (``user_signed_up``) in one transaction."""
    User = get_user_model()
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=email, email=email, password=password, first_name=name)
            user_signed_up.send(sender=sign_up, user=user)
    except IntegrityError as error:
        raise EmailTakenError(email) from error
    return user
