"""Staff views of billing: products are editable; orders, subscriptions and events are
read-only, and credits change only through the ledger (action "Refund credits").

Imported by ``credits.admin``, which also puts the order and subscription inlines on the
user page.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from credits.billing import fulfilment
from credits.billing.models import Order, Payment, ProcessedBillingEvent, Product, Subscription


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def money(amount: int, currency: str) -> str:
    return f"{amount / 100:.2f} {currency.upper()}"


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "slug",
        "name",
        "kind",
        "credits",
        "price_display",
        "interval",
        "validity_days",
        "subscribers_only",
        "active",
        "sort_order",
    ]
    list_filter = ["kind", "active", "subscribers_only"]
    search_fields = ["slug", "name"]

    @admin.display(description="Price", ordering="price")
    def price_display(self, product: Product) -> str:
        return money(product.price, product.currency)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # orders refer to products: retire one by unticking "active"


class PaymentInline(_ReadOnly, admin.TabularInline):
    model = Payment
    fields = [
        "kind",
        "payment_ref",
        "package_order_no",
        "credits",
        "amount",
        "refunded_amount",
        "disputed_amount",
        "credits_refunded",
        "refund_shortfall",
        "period_end",
    ]
    readonly_fields = fields
    extra = 0


@admin.register(Order)
class OrderAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = [
        "order_no",
        "user",
        "product",
        "status",
        "provider",
        "amount_display",
        "credits",
        "credits_refunded",
        "refund_shortfall",
        "created_at",
        "paid_at",
    ]
    list_filter = ["status", "provider", "kind"]
    search_fields = ["order_no", "user__email"]
    list_select_related = ["user", "product"]
    date_hierarchy = "created_at"
    inlines = [PaymentInline]
    actions = ["refund_credits"]

    @admin.display(description="Amount", ordering="amount")
    def amount_display(self, order: Order) -> str:
        return money(order.amount, order.currency)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Read-only fields, but the action needs the permission (granted to who may adjust credits).
        return request.user.has_perm("credits.change_order")

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [field.name for field in Order._meta.fields]

    @admin.action(description="Refund credits: take back their unspent credits (after refunding the money)")
    def refund_credits(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        for order in queryset:
            taken = fulfilment.refund_credits(order, actor=request.user)
            order.refresh_from_db()
            self.message_user(
                request,
                f"{order.order_no}: took back {taken} credits; {order.refund_shortfall} already spent.",
                messages.SUCCESS,
            )


@admin.register(Subscription)
class SubscriptionAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = [
        "subscription_ref",
        "user",
        "product",
        "provider",
        "status",
        "current_period_end",
        "cancel_at_period_end",
    ]
    list_filter = ["status", "provider"]
    search_fields = ["subscription_ref", "user__email", "order__order_no"]
    list_select_related = ["user", "product"]


@admin.register(ProcessedBillingEvent)
class ProcessedBillingEventAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = [
        "event_id",
        "provider",
        "event_type",
        "outcome",
        "waiting_for",
        "received_at",
        "applied_at",
    ]
    list_filter = ["provider", "outcome", "event_type"]
    search_fields = ["event_id", "waiting_for"]


class OrderInline(_ReadOnly, admin.TabularInline):
    model = Order
    fk_name = "user"
    fields = [
        "order_no",
        "product",
        "status",
        "provider",
        "amount",
        "credits",
        "refund_shortfall",
        "created_at",
        "paid_at",
    ]
    readonly_fields = fields
    ordering = ["-created_at"]
    extra = 0
    show_change_link = True


class SubscriptionInline(_ReadOnly, admin.TabularInline):
    model = Subscription
    fk_name = "user"
    fields = [
        "product",
        "status",
        "provider",
        "subscription_ref",
        "current_period_end",
        "cancel_at_period_end",
    ]
    readonly_fields = fields
    ordering = ["-created_at"]
    extra = 0
    show_change_link = True
