from django.core.management.base import BaseCommand

from webhooks.services import purge_deliveries


class Command(BaseCommand):
    help = (
        "Delete stored webhook deliveries older than WEBHOOK_RETENTION_DAYS (default 30), "
        "rejected ones (no or a bad signature) after a day."
    )

    def handle(self, *args, **options):
        deleted = purge_deliveries()
        self.stdout.write(f"deleted {deleted} webhook deliveries")
