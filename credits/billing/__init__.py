"""Buying credits: products, orders, subscriptions and the payment providers (docs/api.md: Billing).

Adapters in ``providers/`` talk to Stripe, Creem or the built-in demo and never touch the
ORM; ``checkout`` starts purchases, ``events`` applies what the providers report, and
every credit granted or taken back goes through the ledger (``credits.services``).
"""
