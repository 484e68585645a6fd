"""Production refuses to start with Stripe or Creem chosen but unable to verify events."""

from __future__ import annotations

import secrets

import pytest

from tests.kensa.test_settings import SETUP, _clean_env, _run

PRODUCTION = {"DJANGO_DEBUG": "false", "AI_CALLBACK_SECRET": "s" * 40}


@pytest.mark.parametrize(
    ("provider", "key_name", "secret_name"),
    [
        ("stripe", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"),
        ("creem", "CREEM_API_KEY", "CREEM_WEBHOOK_SECRET"),
    ],
)
def test_production_refuses_a_provider_without_its_webhook_secret(provider, key_name, secret_name):
    env = _clean_env(**PRODUCTION, DJANGO_SECRET_KEY=secrets.token_urlsafe(50), BILLING_PROVIDER=provider)
    env[key_name] = "key_live_kensa"

    result = _run(["-c", SETUP], env)

    assert result.returncode != 0
    assert (
        f"{secret_name} must be set when BILLING_PROVIDER={provider} and DJANGO_DEBUG is false."
        in result.stderr
    )


def test_production_starts_with_stripe_fully_configured():
    env = _clean_env(
        **PRODUCTION,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        STRIPE_SECRET_KEY="sk_live_kensa",
        STRIPE_WEBHOOK_SECRET="whsec_kensa",
    )

    result = _run(["-c", SETUP + "; from django.conf import settings; print(settings.BILLING_PROVIDER)"], env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "stripe"


def test_an_unknown_billing_provider_is_refused():
    env = _clean_env(DJANGO_DEBUG="true", BILLING_PROVIDER="paypal")

    result = _run(["-c", SETUP], env)

    assert result.returncode != 0
    assert "BILLING_PROVIDER must be demo, stripe or creem." in result.stderr
