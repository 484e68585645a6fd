from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from allauth.account.signals import email_confirmed
        from allauth.account.signals import user_signed_up as allauth_user_signed_up

        from accounts.receivers import on_allauth_user_signed_up, on_email_confirmed

        email_confirmed.connect(on_email_confirmed, dispatch_uid="accounts.on_email_confirmed")
        allauth_user_signed_up.connect(on_allauth_user_signed_up, dispatch_uid="accounts.on_social_sign_up")
