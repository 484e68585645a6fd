"""What credits does when other apps announce something."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.dispatch import receiver

from accounts.signals import email_verified
from credits.services import grant_new_user_credits


def grant_sign_up_gift(sender: Any, *, user: AbstractBaseUser, welcome: bool = True, **kwargs: Any) -> None:
    """accounts' ``user_signed_up``: the new-user gift, inside the sign-up's transaction,
    when the sign-up welcomes its address (not when verification must come first, nor for
    an address whose earlier account was deleted)."""
    if welcome:
        grant_new_user_credits(user)


# Connected here, on import from CreditsConfig.ready(), next to the sign-up receiver above.
@receiver(email_verified, dispatch_uid="credits.grant_verification_gift")
def grant_verification_gift(sender: Any, *, user: AbstractBaseUser, welcome: bool, **kwargs: Any) -> None:
    """accounts' ``email_verified``: the gift when this verification welcomes the address
    (the first for it, ever). Granting is once per user as well (its order number)."""
    if welcome:
        grant_new_user_credits(user)
