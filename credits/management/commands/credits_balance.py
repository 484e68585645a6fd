from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from credits.management.commands._common import describe, user_by_email
from credits.selectors import balance_of


class Command(BaseCommand):
    help = "Show a user's credit balance."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="The user's email.")

    def handle(self, *args: object, **options: object) -> None:
        user = user_by_email(options["email"])
        self.stdout.write(f"{user.email}: {describe(balance_of(user))}.")
