from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from credits import services
from credits.management.commands._common import describe, user_by_email
from credits.selectors import balance_of
from kensa.errors import DomainError


class Command(BaseCommand):
    help = (
        "Adjust a user's credits: a positive number adds a package, a negative one deducts "
        "from the available balance (refused below zero)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="The user's email.")
        parser.add_argument(
            "--credits",
            required=True,
            type=int,
            help="Non-zero integer; negative deducts (e.g. --credits=-5).",
        )
        parser.add_argument("--remark", required=True, help="Why (recorded in the ledger).")
        parser.add_argument("--days", type=int, help="Added credits expire after this many days.")

    def handle(self, *args: object, **options: object) -> None:
        user = user_by_email(options["email"])
        if options["credits"] == 0:
            raise CommandError("--credits must not be zero.")
        if not options["remark"].strip():
            raise CommandError("--remark must say why.")
        try:
            entry = services.adjust(
                user, options["credits"], remark=options["remark"], expires_in_days=options["days"]
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"{entry.trans_no}: {entry.credits:+d} credits for {user.email}.")
        self.stdout.write(f"Balance: {describe(balance_of(user))}.")
