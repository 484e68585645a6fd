"""What the credits domain announces, always inside the transaction that made the change.

- ``ledger_entry_created``: ``entry`` (the CreditTransaction) and ``balance`` (a dict of
  the account's ``available``, ``frozen``, ``used`` and ``total`` once the entry applied).
  Sent by ``credits.services`` for every entry, under the account's row lock.
- ``order_paid``: ``order`` (the billing Order, status PAID). Sent by billing when an
  order is paid, inside the transaction that marks it paid, after its credits are granted.
- ``order_refunded``: ``order`` (status REFUNDED, PARTIALLY_REFUNDED or DISPUTED). Sent
  by billing inside the transaction that records a refund or dispute, after the credits
  are taken back.

Receivers write rows only (``webhooks`` writes the event outbox); they take their own
lock last, so senders must have taken every lock of theirs before sending.
"""

from __future__ import annotations

from django.dispatch import Signal

ledger_entry_created = Signal()
order_paid = Signal()
order_refunded = Signal()
