"""The demo provider's pages: a checkout with Pay and Cancel, and a portal to cancel.

Paying sends signed demo events through ``events.submit_event``: stored as a webhook
delivery, then ``events.handle_event``, the path every provider's events take, so the quick
start buys credits exactly as production does.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from credits.billing import events, selectors
from credits.billing.models import Order, OrderStatus, ProductKind
from credits.billing.providers import billing_provider
from credits.billing.providers.demo import DemoProvider

PERIOD_DAYS = {"month": 30, "year": 365}


def _demo() -> DemoProvider:
    provider = billing_provider("demo")
    assert isinstance(provider, DemoProvider)
    return provider


def _send(event_type: str, data: dict) -> None:
    body, headers = _demo().signed_event(event_type, data)
    events.submit_event("demo", body, headers)


def _landing(url: str, request: HttpRequest, order_no: str) -> str:
    return (url or request.build_absolute_uri("/")).replace("{ORDER_NO}", order_no)


def pay(order: Order) -> None:
    """What a payment at a real provider would report, as demo events."""
    now = timezone.now()
    common = {"order_no": order.order_no, "customer_ref": f"demo_cus_{order.user_id}"}
    if order.kind == ProductKind.PACK:
        _send(
            "checkout.completed",
            {
                **common,
                "payment_ref": f"demo_pay_{order.order_no}",
                "amount": order.amount,
                "currency": order.currency,
            },
        )
        return
    subscription_ref = f"demo_sub_{order.order_no}"
    _send("checkout.completed", {**common, "subscription_ref": subscription_ref})
    _send(
        "subscription.paid",
        {
            **common,
            "subscription_ref": subscription_ref,
            "payment_ref": f"demo_period_{order.order_no}_1",
            "period_start": int(now.timestamp()),
            "period_end": int(
                (now + timedelta(days=PERIOD_DAYS.get(order.interval or "month", 30))).timestamp()
            ),
            "amount": order.amount,
            "currency": order.currency,
        },
    )


@require_http_methods(["GET", "POST"])
def demo_checkout(request: HttpRequest, order_no: str) -> HttpResponse:
    if not request.user.is_authenticated:
        raise Http404
    order = (
        Order.objects.filter(order_no=order_no, user=request.user, provider="demo")
        .select_related("product")
        .first()
    )
    if order is None:
        raise Http404
    demo_payments = settings.BILLING_DEMO_PAYMENTS
    payable = demo_payments and order.status == OrderStatus.PENDING and order.expires_at > timezone.now()
    if request.method == "POST":
        if request.POST.get("action") == "pay":
            if not payable:
                raise Http404
            pay(order)
            return HttpResponseRedirect(_landing(settings.BILLING_SUCCESS_URL, request, order.order_no))
        return HttpResponseRedirect(_landing(settings.BILLING_CANCEL_URL, request, order.order_no))
    context = {
        "order": order,
        "price": f"{order.amount / 100:.2f} {order.currency.upper()}",
        "payable": payable,
    }
    return render(request, "billing/demo_checkout.html", context)


@require_http_methods(["GET", "POST"])
def demo_portal(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        raise Http404
    subscription = selectors.current_subscription(request.user)
    if subscription is not None and subscription.provider != "demo":
        subscription = None
    if request.method == "POST" and subscription is not None and request.POST.get("action") == "cancel":
        _send(
            "subscription.canceled",
            {"order_no": subscription.order.order_no, "subscription_ref": subscription.subscription_ref},
        )
        return HttpResponseRedirect(request.path)
    return render(request, "billing/demo_portal.html", {"subscription": subscription})
