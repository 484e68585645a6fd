from django.core.management.base import BaseCommand

from videos.generation import purge_idempotency_records
from videos.reconcile import reconcile


class Command(BaseCommand):
    help = (
        "Ask providers about videos not heard from for VIDEO_QUIET_AFTER; fail those past "
        "GENERATION_TIMEOUT without a verdict (their credits are released); forget "
        "Idempotency-Keys older than 24 hours."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500, help="At most this many videos per run.")
        parser.add_argument(
            "--inline", action="store_true", help="Query providers in this process instead of the worker."
        )

    def handle(self, *args, limit, inline, **options):
        report = reconcile(limit=limit, inline=inline)
        self.stdout.write(
            f"refreshed {len(report.refreshed)}, resubmitted {len(report.resubmitted)}, "
            f"timed out {len(report.timed_out)}"
        )
        purged = purge_idempotency_records()
        if purged:
            self.stdout.write(f"forgot {purged} idempotency keys older than 24 hours")
