from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from credits.selectors import LEDGER_CHECK_BATCH, ledger_batches


class Command(BaseCommand):
    help = (
        "Check the ledger invariants for every user (Σ transactions = available + frozen, no "
        "negative balance, each balanceAfter = previous + credits, counters = packages). "
        "Exits non-zero on any mismatch."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=LEDGER_CHECK_BATCH,
            help=f"Accounts checked per round; memory grows with it (default {LEDGER_CHECK_BATCH}).",
        )

    def handle(self, *args: object, batch_size: int, **options: object) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be a positive whole number.")
        accounts = problems = 0
        for batch in ledger_batches(batch_size=batch_size):
            accounts += batch.accounts
            problems += len(batch.problems)
            for problem in batch.problems:
                self.stderr.write(problem)  # as found: a long run shows its findings early
        if problems:
            raise CommandError(
                f"The credits ledger has {problems} problem(s) in {accounts} accounts; see above."
            )
        self.stdout.write(f"Ledger OK: {accounts} accounts checked.")
