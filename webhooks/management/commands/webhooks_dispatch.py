import logging

from django.core.management.base import BaseCommand

from webhooks.delivery import dispatch_due
from webhooks.outbox import purge_events

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Queue users' webhook deliveries that are due but not being sent (a lost task, a worker "
        "killed mid-send, a retry the task backend could not defer), disable endpoints failing "
        "for WEBHOOKS_DISABLE_AFTER_DAYS, and delete events past EVENTS_RETENTION_HOURS. With "
        "--verbosity 0 (as kensa_scheduler runs it) the summary goes to the log: INFO when "
        "something was done, DEBUG otherwise."
    )

    def handle(self, *args, verbosity, **options):
        queued = dispatch_due()
        purged = purge_events()
        message = f"queued {queued} webhook deliveries, deleted {purged} events"
        if verbosity:
            self.stdout.write(message)
        else:
            logger.log(logging.INFO if queued or purged else logging.DEBUG, message)
