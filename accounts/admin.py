"""Staff see each user's addresses (verified or not) and social accounts, and can resend a
verification link or send a password reset. Extends whichever user admin is registered
(credits.admin extends this one in turn with the balance)."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import passwords, verification
from kensa.admin_filters import ConditionFilter

User = get_user_model()


class EmailAddressInline(admin.TabularInline):
    model = EmailAddress
    fields = ["email", "verified", "primary"]
    readonly_fields = ["email", "verified", "primary"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class SocialAccountInline(admin.TabularInline):
    model = SocialAccount
    fields = ["provider", "uid", "last_login", "date_joined"]
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class EmailVerifiedFilter(ConditionFilter):
    title = "email verified"
    parameter_name = "email_verified"

    def conditions(self) -> dict[str, tuple[str, Any]]:
        verified = verification.verified_in_query()
        return {"yes": ("Verified", verified), "no": ("Not verified", ~verified)}


try:
    BaseUserAdmin = type(admin.site.get_model_admin(User))
    admin.site.unregister(User)
except NotRegistered:
    BaseUserAdmin = UserAdmin


@admin.register(User)
class AccountUserAdmin(BaseUserAdmin):
    inlines = [*BaseUserAdmin.inlines, EmailAddressInline, SocialAccountInline]
    list_display = [*BaseUserAdmin.list_display, "email_verified"]
    list_filter = [*BaseUserAdmin.list_filter, EmailVerifiedFilter]
    actions = [*(BaseUserAdmin.actions or []), "resend_verification", "send_password_reset"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(_email_verified=verification.verified_in_query())

    @admin.display(description="Email verified", boolean=True, ordering="_email_verified")
    def email_verified(self, user: object) -> bool:
        return user._email_verified

    @admin.action(description="Resend the verification email", permissions=["change"])
    def resend_verification(self, request: HttpRequest, queryset: QuerySet) -> None:
        sent = sum(verification.send_link(request, user) for user in queryset.filter(is_active=True))
        skipped = queryset.count() - sent
        self.message_user(
            request, f"Verification email sent to {sent} user(s); {skipped} skipped (verified or inactive)."
        )

    @admin.action(description="Send a password reset email", permissions=["change"])
    def send_password_reset(self, request: HttpRequest, queryset: QuerySet) -> None:
        users = list(queryset.filter(is_active=True).exclude(email=""))
        for user in users:
            passwords.request_reset(request, user.email)
        self.message_user(request, f"Password reset email sent to {len(users)} user(s).", messages.SUCCESS)
