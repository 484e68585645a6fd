from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # Connects the outbox's receivers to the domains' signals (videos, credits).
        from webhooks import outbox  # noqa: F401
