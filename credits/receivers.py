"""What credits does when other apps announce something."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from credits.services import grant_new_user_credits


def grant_sign_up_gift(sender: Any, *, user: AbstractBaseUser, **kwargs: Any) -> None:
    """accounts' ``user_signed_up``: the new-user gift, inside the sign-up's transaction."""
    grant_new_user_credits(user)
