import logging

from django.core.management.base import BaseCommand

from videos.generation import purge_idempotency_records
from videos.reconcile import reconcile

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Ask providers about videos not heard from for VIDEO_QUIET_AFTER; fail those past "
        "GENERATION_TIMEOUT without a verdict (their credits are released); forget "
        "Idempotency-Keys older than 24 hours. With --verbosity 0 (as kensa_scheduler runs it) "
        "the summary goes to the log instead: INFO when something was done, DEBUG otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500, help="At most this many videos per run.")
        parser.add_argument(
            "--inline", action="store_true", help="Query providers in this process instead of the worker."
        )

    def handle(self, *args, limit, inline, verbosity, **options):
        report = reconcile(limit=limit, inline=inline)
        acted = bool(report.refreshed or report.resubmitted or report.timed_out)
        self.report(
            f"refreshed {len(report.refreshed)}, resubmitted {len(report.resubmitted)}, "
            f"timed out {len(report.timed_out)}",
            acted=acted,
            verbosity=verbosity,
        )
        purged = purge_idempotency_records()
        if purged:
            self.report(
                f"forgot {purged} idempotency keys older than 24 hours", acted=True, verbosity=verbosity
            )

    def report(self, message: str, *, acted: bool, verbosity: int) -> None:
        # Run by hand the summary is the command's output; every 30 s in the scheduler a
        # line saying "nothing" would bury the ones that matter.
        if verbosity:
            self.stdout.write(message)
        else:
            logger.log(logging.INFO if acted else logging.DEBUG, message)
