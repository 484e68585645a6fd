"""allauth's hooks, shaped to Kensa: the email is the username, sign-up goes through the API."""

from __future__ import annotations

import logging
import smtplib

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # allauth's own sign-up page stays closed: password sign-ups go through
        # POST /api/v1/auth/signup (its rate limits, its answers). Social sign-ups
        # are decided by SocialAccountAdapter below.
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # How long links live, for the emails to say so.
        context = {
            "expire_days": settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS,
            "reset_minutes": max(1, settings.PASSWORD_RESET_TIMEOUT // 60),
            **context,
        }
        try:
            super().send_mail(template_prefix, email, context)
        except (OSError, smtplib.SMTPException) as error:
            # A mail server that is down must not undo a sign-up or reveal, by a 500, which
            # addresses have accounts: the person can ask again (resend, reset) later.
            logger.error("could not send the %s email: %s", template_prefix.rsplit("/", 1)[-1], error)

    def populate_username(self, request: HttpRequest, user: AbstractBaseUser) -> None:
        # Kensa's login name is the lower-cased email (accounts.services.sign_up does the same).
        user.username = (user.email or "").strip().lower()
        user.email = user.username


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return True

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: dict) -> AbstractBaseUser:
        user = super().populate_user(request, sociallogin, data)
        # Kensa keeps one name field (first_name), as the sign-up form gives it.
        full_name = data.get("name") or " ".join(filter(None, [user.first_name, user.last_name]))
        user.first_name, user.last_name = full_name[:150], ""
        return user
