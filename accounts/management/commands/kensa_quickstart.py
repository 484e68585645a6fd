"""Ensure the quick-start demo user exists, can use the admin, and has credits to spend."""

from __future__ import annotations

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction

from credits import services as credit_services

DEFAULT_EMAIL = "demo@kensa.local"
DEFAULT_PASSWORD = "kensa-demo-1234"  # noqa: S105 - the documented local demo login
DEFAULT_SITE_URL = "http://127.0.0.1:8000/"
DEMO_CREDITS = 100


class Command(BaseCommand):
    help = (
        "Create or update the demo user (staff and superuser), grant it "
        f"{DEMO_CREDITS} credits once, and print its login. Safe to run repeatedly."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--email", default=DEFAULT_EMAIL, help=f"Demo user's email (default {DEFAULT_EMAIL})."
        )
        parser.add_argument(
            "--password",
            default=None,
            help=f"Demo user's password (default: $KENSA_DEMO_PASSWORD, else {DEFAULT_PASSWORD}).",
        )
        parser.add_argument(
            "--site-url", default=DEFAULT_SITE_URL, help=f"Base URL to print (default {DEFAULT_SITE_URL})."
        )

    def handle(
        self, *args: object, email: str, password: str | None, site_url: str, **options: object
    ) -> None:
        if not settings.DEBUG:
            # A superuser whose password is printed (and documented) is for a developer's
            # machine only; bin/run's .env sets DJANGO_DEBUG=true.
            raise CommandError(
                "kensa_quickstart creates a demo superuser with a published password; "
                "it runs only with DJANGO_DEBUG=true."
            )
        email = email.strip().lower()
        try:
            validate_email(email)
        except ValidationError as error:
            raise CommandError(f"Not a valid email address: {email!r}.") from error
        password = password or os.environ.get("KENSA_DEMO_PASSWORD") or DEFAULT_PASSWORD

        User = get_user_model()
        with transaction.atomic():
            user, created = User.objects.select_for_update().get_or_create(
                username=email, defaults={"email": email, "first_name": "Demo"}
            )
            # Re-running resets the login to what is printed below.
            user.email = email
            user.is_active = user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()

        # Granting is idempotent on the order number: only the first run adds credits.
        credit_services.grant(
            user,
            DEMO_CREDITS,
            trans_type="ORDER_PAY",
            order_no=f"quickstart-demo-{user.pk}",
            remark="Quick-start credits",
        )

        site_url = site_url.rstrip("/") + "/"
        self.stdout.write(
            "\n".join(
                [
                    f"Demo user {'created' if created else 'updated'}. Sign in with:",
                    f"  email:    {email}",
                    f"  password: {password}",
                    f"  site:     {site_url}",
                    f"  admin:    {site_url}admin/",
                    f"  API:      {site_url}api/v1/config/models",
                ]
            )
        )
