from __future__ import annotations

from rest_framework import serializers

from credits.billing.models import Order, Product, Subscription
from kensa.api.fields import iso_utc


class ProductOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="slug")
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["pack", "subscription"])
    credits = serializers.IntegerField()
    price = serializers.IntegerField(help_text="Minor units (cents).")
    currency = serializers.CharField()
    interval = serializers.ChoiceField(choices=["month", "year"], allow_null=True)
    validityDays = serializers.IntegerField(source="validity_days", allow_null=True)
    subscribersOnly = serializers.BooleanField(source="subscribers_only")
    sortOrder = serializers.IntegerField(source="sort_order")


class CheckoutInputSerializer(serializers.Serializer):
    productId = serializers.SlugField(max_length=64)


class CheckoutOutputSerializer(serializers.Serializer):
    orderNo = serializers.CharField(source="order_no")
    provider = serializers.CharField()
    checkoutUrl = serializers.CharField(source="checkout_url")
    expiresAt = serializers.DateTimeField(source="expires_at")


class OrderOutputSerializer(serializers.Serializer):
    orderNo = serializers.CharField()
    productId = serializers.CharField()
    kind = serializers.CharField()
    credits = serializers.IntegerField()
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.CharField()
    provider = serializers.CharField()
    createdAt = serializers.DateTimeField()
    paidAt = serializers.DateTimeField(allow_null=True)

    def to_representation(self, order: Order) -> dict:
        return {
            "orderNo": order.order_no,
            "productId": order.product.slug,
            "kind": order.kind,
            "credits": order.credits,
            "amount": order.amount,
            "currency": order.currency,
            "status": order.status,
            "provider": order.provider,
            "createdAt": iso_utc(order.created_at),
            "paidAt": iso_utc(order.paid_at),
        }


class SubscriptionOutputSerializer(serializers.Serializer):
    productId = serializers.CharField(source="product.slug")
    status = serializers.CharField()
    currentPeriodEnd = serializers.DateTimeField(source="current_period_end", allow_null=True)
    cancelAtPeriodEnd = serializers.BooleanField(source="cancel_at_period_end")


class PortalOutputSerializer(serializers.Serializer):
    url = serializers.CharField()


def product_data(products: list[Product]) -> list:
    return ProductOutputSerializer(products, many=True).data


def subscription_data(subscription: Subscription | None) -> dict | None:
    return SubscriptionOutputSerializer(subscription).data if subscription else None
