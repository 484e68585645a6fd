from __future__ import annotations

from django.core.management.base import BaseCommand

from credits import services


class Command(BaseCommand):
    help = "Expire the unfrozen remainder of every credit package past its date (run periodically)."

    def handle(self, *args: object, **options: object) -> None:
        expired = services.expire_due()
        self.stdout.write(f"Expired {expired} credits.")
