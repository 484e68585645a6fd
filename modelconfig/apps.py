from django.apps import AppConfig


class ModelconfigConfig(AppConfig):
    name = "modelconfig"
    verbose_name = "Model catalogue"
