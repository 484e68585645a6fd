"""Run Kensa's periodic jobs in a loop (or once, for cron)."""

from __future__ import annotations

import logging
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

logger = logging.getLogger("kensa.scheduler")

# Lost callbacks, expired credit packages, old webhook deliveries and events, and user
# webhook deliveries whose task was lost are only ever noticed by these jobs.
PERIODIC_JOBS = ("videos_reconcile", "credits_expire", "webhooks_purge", "webhooks_dispatch")


class Command(BaseCommand):
    help = (
        f"Run the periodic jobs ({', '.join(PERIODIC_JOBS)}) every --interval seconds. "
        "A failing job is logged and retried next round; --once runs one round and exits "
        "non-zero if a job failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=int, default=30, help="Seconds between the starts of two rounds (default 30)."
        )
        parser.add_argument("--once", action="store_true", help="Run one round and exit.")

    def handle(self, *args: object, interval: int, once: bool, **options: object) -> None:
        if interval <= 0:
            raise CommandError("--interval must be a positive number of seconds.")
        if once:
            failed = self.run_round()
            if failed:
                raise CommandError(f"Periodic jobs failed: {', '.join(failed)} (see the log).")
            return
        logger.info("scheduler started: %s every %s s", ", ".join(PERIODIC_JOBS), interval)
        try:
            while True:
                started = time.monotonic()
                self.run_round()
                # The loop lives for days: drop connections the database may have closed.
                close_old_connections()
                time.sleep(max(0.0, interval - (time.monotonic() - started)))
        except KeyboardInterrupt:
            logger.info("scheduler stopped")

    def run_round(self) -> list[str]:
        """Run every job once; one job failing never stops the others. Returns the failed ones."""
        failed = []
        for job in PERIODIC_JOBS:
            try:
                # Verbosity 0: a job reports to the log, at INFO only when it did something.
                call_command(job, verbosity=0)
            except Exception:
                logger.exception("periodic job %s failed", job)
                failed.append(job)
        return failed
