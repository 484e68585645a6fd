from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # Payment events Kensa makes itself (the demo checkout's Pay button) are stored as
        # deliveries and processed like those arriving at the webhook endpoints.
        from credits.billing.events import register_event_sink

        # Connects the outbox's receivers to the domains' signals (videos, credits).
        from webhooks import outbox  # noqa: F401
        from webhooks.services import receive_payment_event

        register_event_sink(receive_payment_event)
