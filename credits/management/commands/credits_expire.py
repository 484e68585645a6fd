from __future__ import annotations

import logging

from django.core.management.base import BaseCommand

from credits import services

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Expire the unfrozen remainder of every credit package past its date (run periodically). "
        "With --verbosity 0 (as kensa_scheduler runs it) the summary goes to the log instead: "
        "INFO when credits expired, DEBUG otherwise."
    )

    def handle(self, *args: object, verbosity: int, **options: object) -> None:
        expired = services.expire_due()
        message = f"Expired {expired} credits."
        # Run by hand the summary is the command's output; in the scheduler, a log line
        # only when something expired.
        if verbosity:
            self.stdout.write(message)
        else:
            logger.log(logging.INFO if expired else logging.DEBUG, message)
