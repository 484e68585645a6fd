from django.core.management.base import BaseCommand, CommandError

from webhooks.models import DeliveryOutcome, WebhookDelivery
from webhooks.services import reprocess


class Command(BaseCommand):
    help = "Reprocess stored provider callbacks (by id, or every one with a given outcome)."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="Delivery ids to reprocess.")
        parser.add_argument(
            "--outcome",
            choices=DeliveryOutcome.values,
            help="Reprocess every delivery with this outcome (e.g. error, received).",
        )

    def handle(self, *args, ids, outcome, **options):
        if not ids and not outcome:
            raise CommandError("Name delivery ids or an --outcome to reprocess.")
        deliveries = WebhookDelivery.objects.all()
        deliveries = deliveries.filter(pk__in=ids) if ids else deliveries.filter(outcome=outcome)
        if ids and (missing := set(ids) - set(deliveries.values_list("pk", flat=True))):
            raise CommandError(f"No delivery with id {', '.join(map(str, sorted(missing)))}.")
        for delivery in deliveries.order_by("pk"):
            result = reprocess(delivery)
            self.stdout.write(
                f"{delivery.pk}: {result.outcome}{f' ({result.error})' if result.error else ''}"
            )
