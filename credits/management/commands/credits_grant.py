from __future__ import annotations

import uuid
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from credits import services
from credits.management.commands._common import describe, user_by_email
from credits.models import GRANT_TYPES, CreditPackage, TransType
from credits.selectors import balance_of
from kensa.errors import DomainError


class Command(BaseCommand):
    help = "Grant a package of credits to a user. The same --order-no grants only once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="The user's email.")
        parser.add_argument(
            "--credits", required=True, type=int, help="Credits to grant (a positive integer)."
        )
        parser.add_argument("--days", type=int, help="Expire after this many days (default: never).")
        parser.add_argument("--order-no", help="Unique order number (default: a new one).")
        parser.add_argument(
            "--type",
            default=TransType.SYSTEM_ADJUST,
            choices=sorted(GRANT_TYPES),
            help="Transaction type (default SYSTEM_ADJUST).",
        )
        parser.add_argument("--remark", default="Granted from the command line", help="Why.")

    def handle(self, *args: object, **options: object) -> None:
        user = user_by_email(options["email"])
        credits, days = options["credits"], options["days"]
        if credits <= 0:
            raise CommandError("--credits must be a positive integer.")
        if days is not None and not 1 <= days <= services.MAX_EXPIRY_DAYS:
            raise CommandError(f"--days must be a whole number from 1 to {services.MAX_EXPIRY_DAYS}.")
        order_no = options["order_no"] or f"CLI-{uuid.uuid4().hex}"
        granted_before = CreditPackage.objects.filter(order_no=order_no).exists()
        try:
            package = services.grant(
                user,
                credits,
                trans_type=options["type"],
                order_no=order_no,
                expires_at=timezone.now() + timedelta(days=days) if days else None,
                remark=options["remark"],
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        if granted_before:
            self.stdout.write(
                f"Order {order_no} was already granted ({package.amount} credits); nothing added."
            )
        else:
            self.stdout.write(f"Order {order_no}: {package.amount} credits for {user.email}.")
        self.stdout.write(f"Balance: {describe(balance_of(user))}.")
