"""Staff views of the ledger: everything read-only; credits change only through ``services.adjust``."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from credits import selectors, services
from credits.billing.admin import OrderInline, SubscriptionInline
from credits.models import (
    AdjustmentRequest,
    CreditAccount,
    CreditHold,
    CreditHoldAllocation,
    CreditPackage,
    CreditTransaction,
)
from credits.permissions import may_adjust
from kensa.admin_filters import ConditionFilter
from kensa.errors import DomainError

User = get_user_model()
USER_CHANGE_URL = f"admin:{User._meta.app_label}_{User._meta.model_name}_change"


class ReadOnlyAdminMixin:
    """The ledger is written by services only: staff look, they never edit rows."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class AdjustmentForm(forms.Form):
    credits = forms.IntegerField(help_text="Positive adds a package; negative deducts (never below zero).")
    remark = forms.CharField(max_length=255, help_text="Why; recorded with your name.")
    expires_in_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=3650,
        help_text="Only for added credits; empty = never expires.",
    )

    def clean_credits(self) -> int:
        credits = self.cleaned_data["credits"]
        if credits == 0:
            raise forms.ValidationError("Must not be zero.")
        return credits


class UserColumnMixin:
    """Lists show the user as a link to their page (balance, packages, orders)."""

    @admin.display(description="User", ordering="user__email")
    def user_link(self, obj: object) -> str:
        return format_html('<a href="{}">{}</a>', reverse(USER_CHANGE_URL, args=[obj.user_id]), obj.user)


class FrozenCreditsFilter(ConditionFilter):
    title = "frozen credits"
    parameter_name = "frozen"

    def conditions(self) -> dict[str, tuple[str, Q]]:
        return {"yes": ("Has frozen credits", Q(frozen__gt=0)), "no": ("None frozen", Q(frozen=0))}


class AvailableBalanceFilter(ConditionFilter):
    title = "available balance"
    parameter_name = "available"

    def conditions(self) -> dict[str, tuple[str, Q]]:
        return {"zero": ("Zero", Q(available=0)), "positive": ("Positive", Q(available__gt=0))}


def adjust_link(user_id: int) -> str:
    return format_html(
        '<a class="button" href="{}">Adjust credits</a>',
        reverse("admin:credits_creditaccount_adjust", args=[user_id]),
    )


@admin.register(CreditAccount)
class CreditAccountAdmin(UserColumnMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user_link", "available", "frozen", "used", "total", "updated_at"]
    list_filter = [FrozenCreditsFilter, AvailableBalanceFilter, "updated_at"]
    search_fields = ["user__email", "user__username"]
    list_select_related = ["user"]
    readonly_fields = ["user", "available", "frozen", "used", "total", "sequence", "updated_at", "adjust"]
    fields = readonly_fields

    @admin.display(description="Adjust")
    def adjust(self, account: CreditAccount) -> str:
        return adjust_link(account.user_id)

    def get_urls(self) -> list:
        return [
            path(
                "adjust/<int:user_id>/",
                self.admin_site.admin_view(self.adjust_view),
                name="credits_creditaccount_adjust",
            ),
            *super().get_urls(),
        ]

    def adjust_view(self, request: HttpRequest, user_id: int) -> HttpResponse:
        if not may_adjust(request.user):
            raise PermissionDenied
        target = get_object_or_404(User, pk=user_id)
        form = AdjustmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                entry = services.adjust(
                    target,
                    form.cleaned_data["credits"],
                    remark=form.cleaned_data["remark"],
                    actor=request.user,
                    expires_in_days=form.cleaned_data["expires_in_days"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(
                    request, f"{entry.trans_no}: {entry.credits:+d} credits for {target}.", messages.SUCCESS
                )
                return HttpResponseRedirect(reverse(USER_CHANGE_URL, args=[target.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Adjust credits of {target}",
            "target": target,
            "account": CreditAccount.objects.filter(user=target).first(),
            "balance": selectors.balance_of(target),
            # The admin's own fieldset markup (aligned rows, help text, errors) for a plain form.
            "adminform": helpers.AdminForm(form, [(None, {"fields": list(form.fields)})], {}),
            "form": form,
            "opts": self.model._meta,
            "has_view_permission": self.has_view_permission(request),
            "user_change_url": reverse(USER_CHANGE_URL, args=[target.pk]),
        }
        return TemplateResponse(request, "admin/credits/adjust.html", context)


class AllocationInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CreditHoldAllocation
    fields = ["package", "amount"]
    readonly_fields = fields
    extra = 0


@admin.register(CreditHold)
class CreditHoldAdmin(UserColumnMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["reference", "user_link", "amount", "state", "created_at", "ended_at"]
    list_filter = ["state", "created_at", ("ended_at", admin.EmptyFieldListFilter)]
    date_hierarchy = "created_at"
    search_fields = ["reference", "user__email"]
    list_select_related = ["user"]
    inlines = [AllocationInline]


@admin.register(CreditPackage)
class CreditPackageAdmin(UserColumnMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "order_no",
        "user_link",
        "trans_type",
        "amount",
        "remaining",
        "frozen",
        "expires_at",
        "created_at",
    ]
    list_filter = ["trans_type", ("expires_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["order_no", "user__email", "remark"]
    list_select_related = ["user"]


@admin.register(CreditTransaction)
class CreditTransactionAdmin(UserColumnMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "trans_no",
        "user_link",
        "trans_type",
        "credits",
        "balance_after",
        "reference",
        "actor",
        "created_at",
    ]
    list_filter = ["trans_type", "created_at", ("actor", admin.EmptyFieldListFilter)]
    search_fields = ["trans_no", "reference", "user__email", "remark"]
    list_select_related = ["user", "actor"]
    date_hierarchy = "created_at"


@admin.register(AdjustmentRequest)
class AdjustmentRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["key", "actor", "entry", "created_at"]
    search_fields = ["key", "actor__email", "entry__trans_no"]
    list_select_related = ["actor", "entry"]


class PackageInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CreditPackage
    fk_name = "user"
    fields = ["order_no", "trans_type", "amount", "remaining", "frozen", "expires_at", "created_at"]
    readonly_fields = fields
    ordering = ["-id"]
    extra = 0
    show_change_link = True


# Extend whatever user admin is registered (django.contrib.auth's by default) with the balance.
try:
    BaseUserAdmin = type(admin.site.get_model_admin(User))
    admin.site.unregister(User)
except NotRegistered:
    BaseUserAdmin = UserAdmin


@admin.register(User)
class CreditUserAdmin(BaseUserAdmin):
    inlines = [*BaseUserAdmin.inlines, PackageInline, SubscriptionInline, OrderInline]

    def get_fieldsets(self, request: HttpRequest, obj: object = None) -> list:
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is None:
            return fieldsets
        return [*fieldsets, ("Credits", {"fields": ["credit_balance", "credit_links"]})]

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list:
        return [*super().get_readonly_fields(request, obj), "credit_balance", "credit_links"]

    @admin.display(description="Balance")
    def credit_balance(self, user: object) -> str:
        balance = selectors.balance_of(user)
        return (
            f"available {balance.available} · frozen {balance.frozen} · "
            f"used {balance.used} · total {balance.total}"
        )

    @admin.display(description="Ledger")
    def credit_links(self, user: object) -> str:
        transactions = reverse("admin:credits_credittransaction_changelist") + f"?user__id__exact={user.pk}"
        holds = reverse("admin:credits_credithold_changelist") + f"?user__id__exact={user.pk}"
        return format_html(
            '{} <a href="{}">Transactions</a> · <a href="{}">Holds</a>',
            adjust_link(user.pk),
            transactions,
            holds,
        )
