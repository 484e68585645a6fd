"""Forgotten and changed passwords, on allauth's reset tokens and session tracking."""

from __future__ import annotations

from allauth.account.forms import UserTokenForm
from allauth.account.internal.flows.email_verification import verify_email_indirectly
from allauth.account.internal.flows.password_reset import request_password_reset
from allauth.account.signals import password_changed, password_reset
from allauth.account.utils import filter_users_by_email
from allauth.usersessions.internal.flows.sessions import end_other_sessions
from django.contrib.auth import login, password_validation, update_session_auth_hash
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest

from accounts.errors import InvalidKeyError

PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"  # noqa: S105 - a backend path


def request_reset(request: HttpRequest, email: str) -> None:
    """Email a reset link to the account with this address — or, when there is none, a
    note saying so: either way one message goes out, so the answer reveals nothing."""
    users = filter_users_by_email(email, is_active=True, prefer_verified=True)
    request_password_reset(request, email, users, None)


def user_for_reset_key(key: str) -> AbstractBaseUser:
    """The user a reset key was made for. Django's token covers the password hash and the
    last login: it dies when either changes, and after PASSWORD_RESET_TIMEOUT."""
    uidb36, _, token = key.partition("-")
    form = UserTokenForm(data={"uidb36": uidb36, "key": token})
    if not form.is_valid():
        raise InvalidKeyError()
    return form.reset_user


def reset(request: HttpRequest, user: AbstractBaseUser, password: str) -> None:
    """Set the new password (validated by the caller) and sign in here. Every session
    signed in with the old password ends: Django ties sessions to the password hash."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        # Opening the emailed link proved the inbox, as a verification link would.
        verify_email_indirectly(request, user, user.email)
    password_reset.send(sender=user.__class__, request=request, user=user)
    login(request, user, backend=PASSWORD_BACKEND)


def validate(password: str, user: AbstractBaseUser) -> None:
    password_validation.validate_password(password, user)


def change(request: HttpRequest, user: AbstractBaseUser, new_password: str) -> None:
    """Set a new password (current one checked by the caller); this session stays, the
    user's other sessions end."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    end_other_sessions(request, user)
    update_session_auth_hash(request, user)
    password_changed.send(sender=user.__class__, request=request, user=user)
