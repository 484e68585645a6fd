from django.apps import AppConfig


class KensaConfig(AppConfig):
    name = "kensa"
    verbose_name = "Kensa"
