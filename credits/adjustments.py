"""Staff adjustments sent with an ``Idempotency-Key``: a retried POST adjusts once and gets
the first answer; the same key with another request is refused (409).

The ledger itself is written by ``services.adjust``; this module only binds a key to the
entry it produced, in the same transaction, so the unique (actor, key) constraint decides
which of several parallel retries adjusts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from credits import services
from credits.models import AdjustmentRequest, CreditTransaction
from kensa.errors import IdempotencyKeyReusedError

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Adjusted:
    body: dict
    replayed: bool


def _digest(user: AbstractBaseUser, credits: int, remark: str, expires_in_days: int | None) -> str:
    asked = {"user": user.pk, "credits": credits, "remark": remark, "expiresInDays": expires_in_days}
    return hashlib.sha256(json.dumps(asked, sort_keys=True).encode()).hexdigest()


def _replay(actor: AbstractBaseUser, key: str, digest: str) -> Adjusted | None:
    record = AdjustmentRequest.objects.filter(actor_id=actor.pk, key=key).first()
    if record is None:
        return None
    if record.request_hash != digest:
        raise IdempotencyKeyReusedError()
    return Adjusted(record.response_body, replayed=True)


def adjust_once(
    user: AbstractBaseUser,
    credits: int,
    *,
    remark: str,
    actor: AbstractBaseUser,
    idempotency_key: str,
    render: Callable[[CreditTransaction], dict],
    expires_in_days: int | None = None,
) -> Adjusted:
    """``services.adjust``, at most once per (actor, key). ``render`` shapes the answer
    from the new entry; it is stored and replayed to every retry with the same request."""
    if not idempotency_key:
        entry = services.adjust(user, credits, remark=remark, actor=actor, expires_in_days=expires_in_days)
        return Adjusted(render(entry), replayed=False)
    digest = _digest(user, credits, remark, expires_in_days)
    if replay := _replay(actor, idempotency_key, digest):
        return replay
    try:
        with transaction.atomic():
            entry = services.adjust(
                user, credits, remark=remark, actor=actor, expires_in_days=expires_in_days
            )
            body = render(entry)
            # A parallel retry that got here first has committed its key (or we wait on the
            # unique index until it does): then this insert fails and the adjustment above
            # rolls back with it.
            AdjustmentRequest.objects.create(
                actor=actor, key=idempotency_key, request_hash=digest, entry=entry, response_body=body
            )
    except IntegrityError:
        if replay := _replay(actor, idempotency_key, digest):
            return replay
        raise
    return Adjusted(body, replayed=False)
