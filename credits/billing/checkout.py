"""Starting a purchase and opening the customer portal.

The order is committed (PENDING, with a unique order number) before the provider is
called, and the provider is called outside any transaction: no row lock is held while
waiting on the network. The user's row lock serializes one user's checkouts, so two
parallel subscription checkouts cannot both pass the one-subscription rule.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from credits.billing import selectors
from credits.billing.errors import (
    BillingUnavailableError,
    CheckoutInProgressError,
    NoSubscriptionError,
    ProductUnavailableError,
    SubscriptionExistsError,
    SubscriptionRequiredError,
    UnknownProductError,
)
from credits.billing.models import Order, OrderStatus, Product, ProductKind, Subscription
from credits.billing.providers import billing_provider
from credits.billing.providers.base import BillingProviderError, CheckoutRequest
from kensa.errors import IdempotencyKeyReusedError

logger = logging.getLogger(__name__)

CHECKOUT_TTL = timedelta(hours=1)  # Stripe accepts 30 minutes to 24 hours
IDEMPOTENCY_WINDOW = timedelta(hours=24)


def new_order_no() -> str:
    return f"ORD{timezone.now():%Y%m%d}{secrets.token_hex(6).upper()}"


def _digest(product_slug: str) -> str:
    return hashlib.sha256(product_slug.encode()).hexdigest()


def _replay(user: AbstractBaseUser, key: str, digest: str) -> Order | None:
    order = Order.objects.filter(user_id=user.pk, idempotency_key=key).select_related("product").first()
    if order is None:
        return None
    if order.created_at < timezone.now() - IDEMPOTENCY_WINDOW:
        Order.objects.filter(pk=order.pk).update(idempotency_key="")  # the key may be reused after the window
        return None
    if order.request_hash != digest:
        raise IdempotencyKeyReusedError()
    if not order.checkout_url:
        raise CheckoutInProgressError()
    return order


def _product(slug: str) -> Product:
    product = Product.objects.filter(slug=slug).first()
    if product is None:
        raise UnknownProductError()
    if not product.active:
        raise ProductUnavailableError()
    return product


def _landing(url: str, site_url: str, order_no: str) -> str:
    return (url or f"{site_url}/").replace("{ORDER_NO}", order_no)


def start_checkout(
    user: AbstractBaseUser, product_slug: str, *, idempotency_key: str = "", site_url: str = ""
) -> Order:
    """A PENDING order and a hosted checkout for it. With an Idempotency-Key, a repeat within
    24 hours answers with the first order."""
    digest = _digest(product_slug)
    if idempotency_key and (replay := _replay(user, idempotency_key, digest)):
        return replay
    product = _product(product_slug)
    provider = billing_provider()
    now = timezone.now()
    try:
        with transaction.atomic():
            # NO KEY UPDATE: serializes this user's checkouts, not their ledger's inserts.
            users = get_user_model().objects.select_for_update(no_key=True).filter(pk=user.pk)
            list(users.values_list("pk", flat=True))
            if product.subscribers_only and not selectors.is_subscriber(user):
                raise SubscriptionRequiredError()
            if product.kind == ProductKind.SUBSCRIPTION and selectors.current_subscription(user):
                raise SubscriptionExistsError()
            Order.objects.filter(user_id=user.pk, status=OrderStatus.PENDING, expires_at__lte=now).update(
                status=OrderStatus.EXPIRED
            )
            order = Order.objects.create(
                order_no=new_order_no(),
                user=user,
                product=product,
                kind=product.kind,
                credits=product.credits,
                amount=product.price,
                currency=product.currency,
                interval=product.interval,
                validity_days=product.validity_days,
                provider=provider.name,
                idempotency_key=idempotency_key,
                request_hash=digest if idempotency_key else "",
                created_at=now,
                expires_at=now + CHECKOUT_TTL,
            )
    except IntegrityError:
        # The same key raced in from a parallel request, which committed first.
        if idempotency_key and (replay := _replay(user, idempotency_key, digest)):
            return replay
        raise
    request = CheckoutRequest(
        order_no=order.order_no,
        user_id=user.pk,
        email=getattr(user, "email", "") or "",
        product_slug=product.slug,
        product_name=product.name,
        kind=product.kind,
        credits=product.credits,
        amount=product.price,
        currency=product.currency,
        interval=product.interval,
        success_url=_landing(settings.BILLING_SUCCESS_URL, site_url, order.order_no),
        cancel_url=_landing(settings.BILLING_CANCEL_URL, site_url, order.order_no),
        expires_at=order.expires_at,
        provider_product={"stripe": product.stripe_price_id, "creem": product.creem_product_id}.get(
            provider.name, ""
        ),
        customer_ref=selectors.customer_ref_of(user, provider.name),
        site_url=site_url,
    )
    try:
        session = provider.create_checkout(request)
    except BillingProviderError as error:
        logger.warning("checkout of %s at %s failed: %s", order.order_no, provider.name, error.message)
        # The order is dead; its key is freed so the client can retry with the same one.
        Order.objects.filter(pk=order.pk).update(status=OrderStatus.EXPIRED, idempotency_key="")
        raise BillingUnavailableError() from error
    order.checkout_id, order.checkout_url = session.checkout_id[:255], session.url
    order.save(update_fields=["checkout_id", "checkout_url", "updated_at"])
    return order


def portal_url(user: AbstractBaseUser, *, site_url: str = "") -> str:
    """The provider's customer portal for the user's subscription (cancel, change card)."""
    subscription = selectors.current_subscription(user) or (
        Subscription.objects.filter(user_id=user.pk).order_by("-created_at", "-id").first()
    )
    if subscription is None:
        raise NoSubscriptionError()
    customer_ref = subscription.customer_ref or selectors.customer_ref_of(user, subscription.provider)
    if not customer_ref and subscription.provider != "demo":
        raise NoSubscriptionError()
    try:
        return billing_provider(subscription.provider).portal_url(
            customer_ref,
            _landing(settings.BILLING_CANCEL_URL, site_url, subscription.order.order_no),
            site_url,
        )
    except BillingProviderError as error:
        logger.warning("portal of %s at %s failed: %s", user.pk, subscription.provider, error.message)
        raise BillingUnavailableError() from error
