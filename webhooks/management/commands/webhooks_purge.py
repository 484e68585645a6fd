import logging

from django.core.management.base import BaseCommand

from webhooks.services import purge_deliveries

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Delete stored webhook deliveries older than WEBHOOK_RETENTION_DAYS (default 30), "
        "rejected ones (no or a bad signature) after a day. With --verbosity 0 (as "
        "kensa_scheduler runs it) the summary goes to the log instead: INFO when deliveries "
        "were deleted, DEBUG otherwise."
    )

    def handle(self, *args, verbosity, **options):
        deleted = purge_deliveries()
        message = f"deleted {deleted} webhook deliveries"
        # Run by hand the summary is the command's output; in the scheduler, a log line
        # only when something was deleted.
        if verbosity:
            self.stdout.write(message)
        else:
            logger.log(logging.INFO if deleted else logging.DEBUG, message)
