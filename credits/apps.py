from django.apps import AppConfig


class CreditsConfig(AppConfig):
    name = "credits"
    verbose_name = "Credits"

    def ready(self) -> None:
        from accounts.signals import user_signed_up
        from credits.receivers import grant_sign_up_gift

        user_signed_up.connect(grant_sign_up_gift, dispatch_uid="credits.grant_sign_up_gift")
