"""The demo provider's checkout and portal pages (Django templates, CSRF-protected forms)."""

from __future__ import annotations

import pytest
from django.test import Client

from credits.billing.models import OrderStatus, SubscriptionStatus
from credits.models import CreditPackage
from credits.selectors import balance_of
from tests.credits.billing.conftest import order_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def post_form(browser: Client, url: str, action: str):
    page = browser.get(url)
    token = page.cookies["csrftoken"].value
    return browser.post(url, {"action": action, "csrfmiddlewaretoken": token})


def test_checkout_page_shows_the_order_with_pay_and_cancel(browser, user):
    order = order_for(user, "starter-pack")

    page = browser.get(f"/billing/demo/checkout/{order.order_no}")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Starter pack" in html and "14.90 USD" in html and "280 credits" in html
    assert 'id="pay"' in html and 'id="cancel"' in html


def test_pay_grants_the_credits_and_goes_to_the_success_url(browser, user):
    order = order_for(user, "starter-pack")

    response = post_form(browser, f"/billing/demo/checkout/{order.order_no}", "pay")

    assert response.status_code == 302
    assert response["Location"] == f"https://kensa.test/done?order={order.order_no}"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert balance_of(user).available == 280


def test_cancel_goes_to_the_cancel_url_and_grants_nothing(browser, user):
    order = order_for(user, "starter-pack")

    response = post_form(browser, f"/billing/demo/checkout/{order.order_no}", "cancel")

    assert (response.status_code, response["Location"]) == (302, "https://kensa.test/pricing")
    assert not CreditPackage.objects.exists()


def test_pay_without_the_csrf_token_is_refused(browser, user):
    order = order_for(user, "starter-pack")

    response = browser.post(f"/billing/demo/checkout/{order.order_no}", {"action": "pay"})

    assert response.status_code == 403
    assert not CreditPackage.objects.exists()


def test_another_users_order_is_not_found(other_user, user):
    order = order_for(user, "starter-pack")
    client = Client()
    client.force_login(other_user)

    assert client.get(f"/billing/demo/checkout/{order.order_no}").status_code == 404


def test_anonymous_visitors_get_no_checkout_page(user):
    order = order_for(user, "starter-pack")

    assert Client().get(f"/billing/demo/checkout/{order.order_no}").status_code == 404


def test_a_paid_order_cannot_be_paid_again(browser, user):
    order = order_for(user, "starter-pack")
    post_form(browser, f"/billing/demo/checkout/{order.order_no}", "pay")

    page = browser.get(f"/billing/demo/checkout/{order.order_no}")

    assert 'id="pay"' not in page.content.decode()
    assert CreditPackage.objects.count() == 1


def test_portal_cancels_the_demo_subscription(browser, user):
    order = order_for(user, "basic-monthly")
    post_form(browser, f"/billing/demo/checkout/{order.order_no}", "pay")

    response = post_form(browser, "/billing/demo/portal", "cancel")

    assert response.status_code == 302
    order.subscription.refresh_from_db()
    assert order.subscription.status == SubscriptionStatus.CANCELED


def test_demo_payments_switched_off_offer_no_pay_button_and_refuse_a_payment(browser, user, settings):
    order = order_for(user, "starter-pack")
    url = f"/billing/demo/checkout/{order.order_no}"
    token = browser.get(url).cookies["csrftoken"].value  # a page rendered while payments were on
    settings.BILLING_DEMO_PAYMENTS = False

    page = browser.get(url).content.decode()
    response = browser.post(url, {"action": "pay", "csrfmiddlewaretoken": token})

    assert 'id="pay"' not in page and "Demo payments are turned off" in page
    assert response.status_code == 404
    assert not CreditPackage.objects.exists()
