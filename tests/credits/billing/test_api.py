"""Products, checkout, orders, subscription and portal over the API, demo provider (docs/api.md: Billing)."""

from __future__ import annotations

import re

import pytest

from credits.billing.models import Order, OrderStatus, Product
from credits.billing.views import pay
from credits.models import CreditPackage

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/credit/products"
CHECKOUT = "/api/v1/credit/checkout"
ORDERS = "/api/v1/credit/orders"
SUBSCRIPTION = "/api/v1/credit/subscription"
PORTAL = "/api/v1/credit/portal"
NOT_AUTHENTICATED = {
    "success": False,
    "error": "Authentication required: sign in first.",
    "code": "not_authenticated",
}
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def buy(auth_client, slug: str, **headers) -> Order:
    response = auth_client.post(CHECKOUT, {"productId": slug}, format="json", headers=headers)
    assert response.status_code == 201, response.json()
    order = Order.objects.get(order_no=response.json()["data"]["orderNo"])
    pay(order)
    order.refresh_from_db()
    return order


def test_products_are_public_and_seeded_from_the_spec(client):
    response = client.get(PRODUCTS)

    assert response.status_code == 200
    products = response.json()["data"]["products"]
    assert response.json()["success"] is True
    assert [p["id"] for p in products] == [
        "starter-pack",
        "standard-pack",
        "pro-pack",
        "basic-monthly",
        "pro-monthly",
        "ultimate-monthly",
        "basic-yearly",
        "pro-yearly",
        "ultimate-yearly",
    ]
    assert products[0] == {
        "id": "starter-pack",
        "name": "Starter pack",
        "kind": "pack",
        "credits": 280,
        "price": 1490,
        "currency": "usd",
        "interval": None,
        "validityDays": 365,
        "subscribersOnly": False,
        "sortOrder": 10,
    }
    assert products[8] == {
        "id": "ultimate-yearly",
        "name": "Ultimate (yearly)",
        "kind": "subscription",
        "credits": 34200,
        "price": 79900,
        "currency": "usd",
        "interval": "year",
        "validityDays": None,
        "subscribersOnly": False,
        "sortOrder": 90,
    }
    assert [p["subscribersOnly"] for p in products[:3]] == [False, True, True]


def test_inactive_products_are_not_listed(client):
    Product.objects.filter(slug="pro-pack").update(active=False)

    ids = [p["id"] for p in client.get(PRODUCTS).json()["data"]["products"]]

    assert "pro-pack" not in ids and len(ids) == 8


def test_checkout_creates_a_pending_order_with_a_demo_checkout_page(auth_client, user):
    response = auth_client.post(CHECKOUT, {"productId": "starter-pack"}, format="json")

    assert response.status_code == 201
    order = Order.objects.get(user=user)
    assert response.json() == {
        "success": True,
        "data": {
            "orderNo": order.order_no,
            "provider": "demo",
            "checkoutUrl": f"http://testserver/billing/demo/checkout/{order.order_no}",
            "expiresAt": iso(order.expires_at),
        },
    }
    assert re.fullmatch(r"ORD\d{8}[0-9A-F]{12}", order.order_no)
    assert (order.status, order.credits, order.amount, order.kind) == (OrderStatus.PENDING, 280, 1490, "pack")


def test_checkout_requires_a_session(client):
    response = client.post(CHECKOUT, {"productId": "starter-pack"}, format="json")

    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED
    assert not Order.objects.exists()


def test_checkout_refuses_an_unknown_product(auth_client):
    response = auth_client.post(CHECKOUT, {"productId": "gold-pack"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "No product has this id.",
        "code": "unknown_product",
    }
    assert not Order.objects.exists()


def test_checkout_refuses_an_inactive_product(auth_client):
    Product.objects.filter(slug="starter-pack").update(active=False)

    response = auth_client.post(CHECKOUT, {"productId": "starter-pack"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "This product is not on sale.",
        "code": "product_unavailable",
    }
    assert not Order.objects.exists()


def test_checkout_refuses_a_missing_product_id(auth_client):
    response = auth_client.post(CHECKOUT, {}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "Invalid input: check productId.",
        "code": "invalid_input",
        "fields": {"productId": ["This field is required."]},
    }


def test_checkout_refuses_malformed_json(auth_client):
    response = auth_client.post(CHECKOUT, data=b'{"productId": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "The request body is not valid JSON.",
        "code": "malformed_json",
    }
    assert not Order.objects.exists()


def test_checkout_refuses_a_form_body(auth_client):
    response = auth_client.post(
        CHECKOUT, data="productId=starter-pack", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert not Order.objects.exists()


def test_subscribers_only_pack_needs_an_active_subscription(auth_client):
    response = auth_client.post(CHECKOUT, {"productId": "standard-pack"}, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "success": False,
        "error": "This pack is for subscribers only: subscribe first.",
        "code": "subscription_required",
    }
    assert not Order.objects.exists()


def test_subscribers_may_buy_subscribers_only_packs(auth_client):
    buy(auth_client, "basic-monthly")

    response = auth_client.post(CHECKOUT, {"productId": "standard-pack"}, format="json")

    assert response.status_code == 201


def test_a_second_subscription_is_refused(auth_client, user):
    buy(auth_client, "basic-monthly")

    response = auth_client.post(CHECKOUT, {"productId": "pro-yearly"}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "success": False,
        "error": "You already have an active subscription; change or cancel it in the portal.",
        "code": "subscription_exists",
    }
    assert Order.objects.filter(user=user).count() == 1


def test_idempotency_key_answers_with_the_first_order(auth_client, user):
    first = auth_client.post(
        CHECKOUT, {"productId": "starter-pack"}, format="json", headers={"Idempotency-Key": "k1"}
    )
    again = auth_client.post(
        CHECKOUT, {"productId": "starter-pack"}, format="json", headers={"Idempotency-Key": "k1"}
    )

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Order.objects.filter(user=user).count() == 1


def test_idempotency_key_reused_for_another_product_is_refused(auth_client, user):
    auth_client.post(
        CHECKOUT, {"productId": "starter-pack"}, format="json", headers={"Idempotency-Key": "k1"}
    )

    response = auth_client.post(
        CHECKOUT, {"productId": "basic-monthly"}, format="json", headers={"Idempotency-Key": "k1"}
    )

    assert response.status_code == 409
    assert response.json() == {
        "success": False,
        "error": "This Idempotency-Key was already used with a different request body.",
        "code": "idempotency_key_reused",
    }
    assert Order.objects.filter(user=user).count() == 1


def test_orders_lists_own_orders_newest_first(auth_client, user, other_client):
    paid = buy(auth_client, "starter-pack")
    auth_client.post(CHECKOUT, {"productId": "basic-monthly"}, format="json")
    other_client.post(CHECKOUT, {"productId": "starter-pack"}, format="json")
    pending = Order.objects.filter(user=user, status=OrderStatus.PENDING).get()

    response = auth_client.get(ORDERS)

    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "data": {
            "orders": [
                {
                    "orderNo": pending.order_no,
                    "productId": "basic-monthly",
                    "kind": "subscription",
                    "credits": 280,
                    "amount": 990,
                    "currency": "usd",
                    "status": "PENDING",
                    "provider": "demo",
                    "createdAt": iso(pending.created_at),
                    "paidAt": None,
                },
                {
                    "orderNo": paid.order_no,
                    "productId": "starter-pack",
                    "kind": "pack",
                    "credits": 280,
                    "amount": 1490,
                    "currency": "usd",
                    "status": "PAID",
                    "provider": "demo",
                    "createdAt": iso(paid.created_at),
                    "paidAt": iso(paid.paid_at),
                },
            ],
            "page": 1,
            "pageSize": 20,
            "total": 2,
            "totalPages": 1,
        },
    }


def test_orders_require_a_session(client):
    response = client.get(ORDERS)

    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED


def test_paying_a_pack_grants_its_credits_once_expiring_after_its_validity(auth_client, user):
    order = buy(auth_client, "starter-pack")
    pay(order)  # the same payment reported again

    package = CreditPackage.objects.get(user=user, trans_type="ORDER_PAY")
    assert (package.order_no, package.amount) == (order.order_no, 280)
    assert abs((package.expires_at - order.paid_at).days - 365) <= 1


def test_subscription_is_null_without_one(auth_client):
    response = auth_client.get(SUBSCRIPTION)

    assert response.status_code == 200
    assert response.json() == {"success": True, "data": None}


def test_subscription_shows_the_active_one(auth_client, user):
    order = buy(auth_client, "pro-monthly")

    response = auth_client.get(SUBSCRIPTION)

    subscription = order.subscription
    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "data": {
            "productId": "pro-monthly",
            "status": "ACTIVE",
            "currentPeriodEnd": iso(subscription.current_period_end),
            "cancelAtPeriodEnd": False,
        },
    }
    package = CreditPackage.objects.get(user=user, trans_type="SUBSCRIPTION")
    assert (package.amount, package.expires_at) == (960, subscription.current_period_end)


def test_portal_without_a_subscription_is_not_found(auth_client):
    response = auth_client.post(PORTAL, {}, format="json")

    assert response.status_code == 404
    assert response.json() == {
        "success": False,
        "error": "You have no subscription to manage.",
        "code": "subscription_not_found",
    }


def test_portal_of_a_demo_subscription_is_our_page(auth_client):
    buy(auth_client, "basic-monthly")

    response = auth_client.post(PORTAL, {}, format="json")

    assert response.status_code == 200
    assert response.json() == {"success": True, "data": {"url": "http://testserver/billing/demo/portal"}}
