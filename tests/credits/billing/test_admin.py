"""Billing in the admin: products editable, orders searchable, refunds through the ledger."""

from __future__ import annotations

import pytest
from django.test import Client

from credits import services
from credits.billing.models import Order, OrderStatus, Product
from credits.billing.views import pay
from credits.models import CreditTransaction
from credits.selectors import balance_of
from tests.credits.billing.conftest import order_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(db) -> Client:
    admin = UserFactory(
        email="root@example.com", username="root@example.com", is_staff=True, is_superuser=True
    )
    browser = Client()
    browser.force_login(admin)
    browser.admin = admin
    return browser


def test_products_are_editable(admin_client):
    product = Product.objects.get(slug="starter-pack")
    page = admin_client.get(f"/admin/credits/product/{product.pk}/change/")
    assert page.status_code == 200

    form = {
        "slug": "starter-pack",
        "name": "Starter pack",
        "kind": "pack",
        "credits": "300",
        "price": "1590",
        "currency": "usd",
        "interval": "",
        "validity_days": "365",
        "sort_order": "10",
        "active": "on",
        "stripe_price_id": "",
        "creem_product_id": "prod_starter",
    }
    response = admin_client.post(f"/admin/credits/product/{product.pk}/change/", form)

    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.credits, product.price, product.creem_product_id) == (300, 1590, "prod_starter")


def test_orders_are_searchable_by_email_and_order_number_and_filtered_by_status(
    admin_client, user, other_user
):
    mine = order_for(user, "starter-pack")
    theirs = order_for(other_user, "starter-pack")
    pay(theirs)

    by_email = admin_client.get("/admin/credits/order/", {"q": "alice@example.com"}).text
    by_number = admin_client.get("/admin/credits/order/", {"q": theirs.order_no}).text
    paid = admin_client.get(
        "/admin/credits/order/", {"status__exact": "PAID", "provider__exact": "demo"}
    ).text

    assert mine.order_no in by_email and theirs.order_no not in by_email
    assert theirs.order_no in by_number and mine.order_no not in by_number
    assert theirs.order_no in paid and mine.order_no not in paid


def test_refund_credits_action_takes_back_unspent_credits_through_the_ledger(admin_client, user):
    order = order_for(user, "starter-pack")
    pay(order)
    services.hold(user, 30, reference="video-1")
    services.settle("video-1")

    response = admin_client.post(
        "/admin/credits/order/", {"action": "refund_credits", "_selected_action": [order.pk]}, follow=True
    )

    assert response.status_code == 200
    assert f"{order.order_no}: took back 250 credits; 30 already spent." in response.text
    entry = CreditTransaction.objects.get(user=user, trans_type="REFUND")
    assert (entry.credits, entry.actor) == (-250, admin_client.admin)
    order.refresh_from_db()
    assert (order.status, order.refund_shortfall) == (OrderStatus.REFUNDED, 30)
    assert balance_of(user).available == 0


def test_user_page_shows_orders_and_subscription(admin_client, user):
    order = order_for(user, "basic-monthly")
    pay(order)

    page = admin_client.get(f"/admin/auth/user/{user.pk}/change/").text

    assert order.order_no in page
    assert "Active" in page and f"demo_sub_{order.order_no}" in page


def test_orders_cannot_be_added_or_deleted(admin_client, user):
    order = order_for(user, "starter-pack")

    assert admin_client.get("/admin/credits/order/add/").status_code == 403
    assert admin_client.post(f"/admin/credits/order/{order.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Order.objects.filter(pk=order.pk).exists()
