from __future__ import annotations

import pytest

from credits.billing import checkout
from credits.billing.models import Order, Product
from tests.fakes.creem_server import FakeCreemServer
from tests.fakes.stripe_server import FakeStripeServer

STRIPE_KEY = "sk_test_kensa"
STRIPE_WHSEC = "whsec_kensa_test"
CREEM_KEY = "creem_test_kensa"
CREEM_WHSEC = "whsec_creem_kensa"


@pytest.fixture(autouse=True)
def billing_settings(settings):
    settings.BILLING_PROVIDER = "demo"
    settings.BILLING_DEMO_PAYMENTS = True
    settings.BILLING_SUCCESS_URL = "https://kensa.test/done?order={ORDER_NO}"
    settings.BILLING_CANCEL_URL = "https://kensa.test/pricing"
    settings.STRIPE_SECRET_KEY = STRIPE_KEY
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_WHSEC
    settings.CREEM_API_KEY = CREEM_KEY
    settings.CREEM_WEBHOOK_SECRET = CREEM_WHSEC
    return settings


@pytest.fixture
def stripe_server(settings):
    with FakeStripeServer(secret_key=STRIPE_KEY) as server:
        settings.STRIPE_API_BASE = server.base_url
        settings.BILLING_PROVIDER = "stripe"
        yield server


@pytest.fixture
def creem_server(settings):
    with FakeCreemServer(api_key=CREEM_KEY) as server:
        settings.CREEM_API_BASE = server.base_url
        settings.BILLING_PROVIDER = "creem"
        Product.objects.update(creem_product_id="prod_kensa_test")
        yield server


def order_for(user, slug: str) -> Order:
    """A PENDING order through the checkout service, as the API makes it."""
    return checkout.start_checkout(user, slug, site_url="http://testserver")
