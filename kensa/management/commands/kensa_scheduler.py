"""Run Kensa's periodic jobs in a loop (or once, for cron).

Several schedulers may be started (one per machine, or two by mistake): each round, a
scheduler first takes or renews the lease ``kensa_scheduler`` (kensa.leases, a database
row) and runs the jobs only if it holds it. A holder that dies is replaced once its lease
runs out (SCHEDULER_LEASE_SECONDS); one that stops cleanly gives it back at once.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from kensa import leases

logger = logging.getLogger("kensa.scheduler")

# Lost callbacks, expired credit packages, old webhook deliveries and events, and user
# webhook deliveries whose task was lost are only ever noticed by these jobs.
PERIODIC_JOBS = ("videos_reconcile", "credits_expire", "webhooks_purge", "webhooks_dispatch")
LEASE = "kensa_scheduler"


class Command(BaseCommand):
    help = (
        f"Run the periodic jobs ({', '.join(PERIODIC_JOBS)}) every --interval seconds. "
        "A failing job is logged and retried next round; --once runs one round and exits "
        "non-zero if a job failed."
    )

    holder = "(no lease)"  # set by handle(); run_round() alone runs the jobs unconditionally
    holding: bool | None = None

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=int, default=30, help="Seconds between the starts of two rounds (default 30)."
        )
        parser.add_argument("--once", action="store_true", help="Run one round and exit.")

    def handle(self, *args: object, interval: int, once: bool, **options: object) -> None:
        if interval <= 0:
            raise CommandError("--interval must be a positive number of seconds.")
        self.holder = leases.holder_id()
        if once:
            try:
                if not self.take_lease():
                    return
                failed = self.run_round()
            finally:
                leases.release(LEASE, self.holder)
            if failed:
                raise CommandError(f"Periodic jobs failed: {', '.join(failed)} (see the log).")
            return
        logger.info("scheduler %s started: %s every %s s", self.holder, ", ".join(PERIODIC_JOBS), interval)
        try:
            while True:
                started = time.monotonic()
                try:
                    if self.take_lease():
                        self.run_round()
                except Exception:
                    # The database being away for a moment must not end the loop.
                    logger.exception("scheduler round failed")
                # The loop lives for days: drop connections the database may have closed.
                close_old_connections()
                time.sleep(max(0.0, interval - (time.monotonic() - started)))
        except KeyboardInterrupt:
            pass
        finally:
            try:
                leases.release(LEASE, self.holder)
            except Exception:
                logger.exception("could not give the scheduler lease back; it runs out by itself")
            logger.info("scheduler %s stopped", self.holder)

    def take_lease(self) -> bool:
        held = leases.acquire(LEASE, self.holder, settings.SCHEDULER_LEASE_SECONDS)
        # At INFO only when it changes hands; every round at DEBUG.
        if held != self.holding:
            if held:
                logger.info("scheduler %s holds the lease and runs the jobs", self.holder)
            else:
                other = leases.current_holder(LEASE)
                logger.info("scheduler %s waits: %s holds the lease", self.holder, other)
        elif not held:
            logger.debug("round skipped: another scheduler holds the lease")
        self.holding = held
        return held

    def run_round(self) -> list[str]:
        """Run every job once; one job failing never stops the others. Returns the failed ones."""
        failed = []
        logger.debug("round started by scheduler %s", self.holder)
        for job in PERIODIC_JOBS:
            try:
                # Verbosity 0: a job reports to the log, at INFO only when it did something.
                call_command(job, verbosity=0)
            except Exception:
                logger.exception("periodic job %s failed", job)
                failed.append(job)
        return failed
