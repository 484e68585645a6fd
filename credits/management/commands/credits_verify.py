from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from credits.models import CreditAccount
from credits.selectors import ledger_problems


class Command(BaseCommand):
    help = (
        "Check the ledger invariants for every user (Σ transactions = available + frozen, no "
        "negative balance, each balanceAfter = previous + credits, counters = packages). "
        "Exits non-zero on any mismatch."
    )

    def handle(self, *args: object, **options: object) -> None:
        problems = ledger_problems()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"The credits ledger has {len(problems)} problem(s); see above.")
        self.stdout.write(f"Ledger OK: {CreditAccount.objects.count()} accounts checked.")
