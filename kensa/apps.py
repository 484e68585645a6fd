from django.apps import AppConfig


class KensaConfig(AppConfig):
    name = "kensa"
    verbose_name = "Kensa"

    def ready(self) -> None:
        # Saving a user forgets its cached copy in every process (web, task workers, shell).
        from kensa import sessions  # noqa: F401
