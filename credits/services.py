"""The credits ledger's writes: the one module that touches packages, holds and transactions.

Every write runs inside ``transaction.atomic()`` and first locks the user's
``CreditAccount`` row (``SELECT ... FOR UPDATE``), so one user's ledger changes one
write at a time whatever runs in parallel; the account's counters and the user's
transaction sequence are only ever changed under that lock. Idempotency comes from
unique constraints (a package's ``order_no``, a hold's ``reference``).

Lock order is account → hold → packages everywhere. Callers may hold their own row
locks first (videos lock the video, then settle), never the other way round.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from credits.errors import (
    BalanceBelowZeroError,
    HoldExistsError,
    HoldNotFoundError,
    InsufficientCreditsError,
    InvalidCreditsError,
    OrderNumberTakenError,
)
from credits.models import (
    GRANT_TYPES,
    CreditAccount,
    CreditHold,
    CreditHoldAllocation,
    CreditPackage,
    CreditTransaction,
    HoldState,
    TransType,
)
from credits.signals import ledger_entry_created

MAX_CREDITS = 1_000_000_000
MAX_REFERENCE_LENGTH = 64
MAX_EXPIRY_DAYS = 3650


# --- helpers (all assume the caller holds the account lock) -----------------------------


def _require_amount(amount: object, name: str = "amount") -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidCreditsError(f"The {name} must be a whole number of credits.")
    if amount <= 0:
        raise InvalidCreditsError(f"The {name} must be a positive number of credits.")
    if amount > MAX_CREDITS:
        raise InvalidCreditsError(f"The {name} must not exceed {MAX_CREDITS} credits.")
    return amount


def _lock_account(user_id: int) -> CreditAccount:
    # get_or_create retries the locked get when a parallel first write created the row.
    account, _ = CreditAccount.objects.select_for_update().get_or_create(user_id=user_id)
    return account


def _lock_for_spending(user_id: int) -> tuple[CreditAccount, datetime]:
    """Lock the account and write off what is past its date: such credits are not
    spendable, even before the periodic job ran."""
    account = _lock_account(user_id)
    now = timezone.now()
    _expire_packages(account, now)
    return account, now


def _record(
    account: CreditAccount,
    trans_type: str,
    credits: int,
    *,
    now: datetime,
    reference: str | None = None,
    package: CreditPackage | None = None,
    remark: str = "",
    actor: AbstractBaseUser | None = None,
) -> CreditTransaction:
    """Append one entry and announce it; the account's counters must already include its effect."""
    account.sequence += 1
    entry = CreditTransaction.objects.create(
        trans_no=f"TX{now:%Y%m%d}-{account.user_id}-{account.sequence:06d}",
        user_id=account.user_id,
        sequence=account.sequence,
        trans_type=trans_type,
        credits=credits,
        balance_after=account.available + account.frozen,
        reference=reference,
        package=package,
        remark=remark[:255],
        actor=actor,
        created_at=now,
    )
    balance = {"available": account.available, "frozen": account.frozen}
    balance.update(used=account.used, total=account.total)
    ledger_entry_created.send(sender=CreditTransaction, entry=entry, balance=balance)
    return entry


def _save(account: CreditAccount) -> None:
    account.save(update_fields=["available", "frozen", "used", "total", "sequence", "updated_at"])


def _expire_packages(account: CreditAccount, now: datetime) -> int:
    """Expire the unfrozen remainder of the account's packages due at ``now``."""
    expired = 0
    due = CreditPackage.objects.filter(user_id=account.user_id, remaining__gt=0, expires_at__lte=now)
    for package in due.order_by("expires_at", "id"):
        credits = package.remaining
        package.remaining = 0
        package.save(update_fields=["remaining"])
        account.available -= credits
        expired += credits
        _record(
            account,
            TransType.EXPIRED,
            -credits,
            now=now,
            package=package,
            remark=f"Package {package.order_no} expired.",
        )
    return expired


def _draw(account: CreditAccount, credits: int, now: datetime) -> list[tuple[CreditPackage, int]]:
    """Take ``credits`` from the spendable packages, soonest-expiring first, never-expiring last,
    then oldest. Lowers each package's ``remaining``; the caller decides where they go."""
    spendable = (
        CreditPackage.objects.filter(user_id=account.user_id, remaining__gt=0)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by(F("expires_at").asc(nulls_last=True), "created_at", "id")
    )
    taken: list[tuple[CreditPackage, int]] = []
    needed = credits
    for package in spendable:
        take = min(package.remaining, needed)
        package.remaining -= take
        taken.append((package, take))
        needed -= take
        if needed == 0:
            break
    if needed:
        # The counters disagree with the packages: refuse rather than corrupt the ledger.
        raise RuntimeError(f"Credit account {account.pk} is inconsistent: {needed} credits missing.")
    return taken


# --- grants ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Granted:
    package: CreditPackage
    entry: CreditTransaction | None  # None when the order had been granted before


def _grant(
    user: AbstractBaseUser,
    amount: int,
    *,
    trans_type: str,
    order_no: str,
    expires_at: datetime | None,
    remark: str,
    actor: AbstractBaseUser | None,
) -> _Granted:
    _require_amount(amount)
    if trans_type not in GRANT_TYPES:
        raise InvalidCreditsError(f"{trans_type} is not a type of grant.")
    order_no = (order_no or "").strip()
    if not order_no or len(order_no) > 100:
        raise InvalidCreditsError("An order number (1 to 100 characters) is required.")
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise InvalidCreditsError("A package cannot expire before it is granted.")
    with transaction.atomic():
        account = _lock_account(user.pk)
        try:
            with transaction.atomic():
                package = CreditPackage.objects.create(
                    user_id=user.pk,
                    trans_type=trans_type,
                    order_no=order_no,
                    amount=amount,
                    remaining=amount,
                    expires_at=expires_at,
                    remark=remark[:255],
                    actor=actor,
                    created_at=now,
                )
        except IntegrityError:
            # The unique order number decides: the same order is granted once.
            existing = CreditPackage.objects.filter(order_no=order_no).first()
            if existing is None:
                raise
            if existing.user_id != user.pk:
                raise OrderNumberTakenError() from None
            return _Granted(existing, None)
        account.available += amount
        account.total += amount
        entry = _record(account, trans_type, amount, now=now, package=package, remark=remark, actor=actor)
        _save(account)
    return _Granted(package, entry)


def grant(
    user: AbstractBaseUser,
    amount: int,
    *,
    trans_type: str,
    order_no: str,
    expires_at: datetime | None = None,
    remark: str = "",
    actor: AbstractBaseUser | None = None,
) -> CreditPackage:
    """Add a package of ``amount`` credits. Granting the same ``order_no`` again returns the
    first package and adds nothing."""
    return _grant(
        user,
        amount,
        trans_type=trans_type,
        order_no=order_no,
        expires_at=expires_at,
        remark=remark,
        actor=actor,
    ).package


def new_user_order_no(user: AbstractBaseUser) -> str:
    return f"NEW_USER-{user.pk}"


def grant_new_user_credits(user: AbstractBaseUser) -> CreditPackage | None:
    """The sign-up gift: NEW_USER_CREDITS expiring after NEW_USER_CREDITS_DAYS, once per user."""
    amount = settings.NEW_USER_CREDITS
    if amount <= 0:
        return None
    days = settings.NEW_USER_CREDITS_DAYS
    return grant(
        user,
        amount,
        trans_type=TransType.NEW_USER,
        order_no=new_user_order_no(user),
        expires_at=timezone.now() + timedelta(days=days) if days > 0 else None,
        remark="Welcome credits",
    )


def revoke(order_no: str, credits: int, *, remark: str, actor: AbstractBaseUser | None = None) -> int:
    """Take back up to ``credits`` unspent credits of the package ``order_no`` (a refund or
    dispute), as one REFUND entry. Credits already spent, expired or frozen by a running
    generation's hold stay where they are. Returns how many were taken (0 if none are left
    or no package has this order number)."""
    _require_amount(credits)
    user_id = CreditPackage.objects.filter(order_no=order_no).values_list("user_id", flat=True).first()
    if user_id is None:
        return 0
    with transaction.atomic():
        account, now = _lock_for_spending(user_id)
        # Read under the account lock: every change to a package takes that lock first.
        package = CreditPackage.objects.get(order_no=order_no)
        taken = min(credits, package.remaining)
        if taken == 0:
            return 0
        package.remaining -= taken
        package.save(update_fields=["remaining"])
        account.available -= taken
        _record(account, TransType.REFUND, -taken, now=now, package=package, remark=remark, actor=actor)
        _save(account)
    return taken


# --- holds ---------------------------------------------------------------------------------


def hold(user: AbstractBaseUser, amount: int, reference: str) -> CreditHold:
    """Freeze ``amount`` available credits for ``reference`` (one hold per reference).

    Writes no ledger entry: held credits still count in available + frozen.
    """
    _require_amount(amount)
    if not reference or len(reference) > MAX_REFERENCE_LENGTH:
        raise InvalidCreditsError(f"A hold reference (1 to {MAX_REFERENCE_LENGTH} characters) is required.")
    with transaction.atomic():
        account, now = _lock_for_spending(user.pk)
        if account.available < amount:
            raise InsufficientCreditsError(required=amount, available=account.available)
        try:
            # No savepoint of its own: a duplicate reference breaks the transaction, and
            # the enclosing block (the savepoint above) is rolled back as a whole.
            with transaction.atomic(savepoint=False):
                credit_hold = CreditHold.objects.create(
                    reference=reference, user_id=user.pk, amount=amount, created_at=now
                )
        except IntegrityError:
            raise HoldExistsError() from None
        taken = _draw(account, amount, now)
        for package, credits in taken:
            package.frozen += credits
            package.save(update_fields=["remaining", "frozen"])
        CreditHoldAllocation.objects.bulk_create(
            CreditHoldAllocation(hold=credit_hold, package=package, amount=credits)
            for package, credits in taken
        )
        account.available -= amount
        account.frozen += amount
        _save(account)
    return credit_hold


def _locked_open_hold(reference: str) -> tuple[CreditAccount, CreditHold] | None:
    """Lock the hold's account, then read the hold; None if it has already ended."""
    user_id = CreditHold.objects.filter(reference=reference).values_list("user_id", flat=True).first()
    if user_id is None:
        raise HoldNotFoundError()
    account = _lock_account(user_id)
    # Read after taking the lock: a settle or release that got there first has committed.
    credit_hold = CreditHold.objects.select_for_update().get(reference=reference)
    if credit_hold.state != HoldState.HOLDING:
        return None
    return account, credit_hold


def _allocations(credit_hold: CreditHold) -> Iterable[CreditHoldAllocation]:
    return credit_hold.allocations.select_related("package").order_by("id")


def _end(credit_hold: CreditHold, state: str, now: datetime) -> None:
    credit_hold.state = state
    credit_hold.ended_at = now
    credit_hold.save(update_fields=["state", "ended_at"])


def settle(reference: str) -> bool:
    """Frozen → consumed, with one VIDEO_CONSUME entry. True if this call ended the hold,
    False if it had already ended (settled or released)."""
    with transaction.atomic():
        locked = _locked_open_hold(reference)
        if locked is None:
            return False
        account, credit_hold = locked
        now = timezone.now()
        for allocation in _allocations(credit_hold):
            # A package that expired meanwhile still pays: the work was done.
            package = allocation.package
            package.frozen -= allocation.amount
            package.save(update_fields=["frozen"])
        account.frozen -= credit_hold.amount
        account.used += credit_hold.amount
        _record(account, TransType.VIDEO_CONSUME, -credit_hold.amount, now=now, reference=reference)
        _end(credit_hold, HoldState.SETTLED, now)
        _save(account)
    return True


def release(reference: str) -> bool:
    """Frozen → available, no charge. True if this call ended the hold, False if it had already
    ended. Credits going back to a package that expired meanwhile expire at once."""
    with transaction.atomic():
        locked = _locked_open_hold(reference)
        if locked is None:
            return False
        account, credit_hold = locked
        now = timezone.now()
        # Everything back to available first, then expire package by package, so each
        # EXPIRED entry's balanceAfter continues the one before it.
        account.frozen -= credit_hold.amount
        account.available += credit_hold.amount
        expired: list[tuple[CreditPackage, int]] = []
        for allocation in _allocations(credit_hold):
            package = allocation.package
            package.frozen -= allocation.amount
            if package.expires_at is not None and package.expires_at <= now:
                expired.append((package, allocation.amount))
            else:
                package.remaining += allocation.amount
            package.save(update_fields=["remaining", "frozen"])
        for package, credits in expired:
            account.available -= credits
            _record(
                account,
                TransType.EXPIRED,
                -credits,
                now=now,
                reference=reference,
                package=package,
                remark=f"Released credits of expired package {package.order_no}.",
            )
        _end(credit_hold, HoldState.RELEASED, now)
        _save(account)
    return True


# --- staff adjustments and expiry ----------------------------------------------------------


def adjust(
    user: AbstractBaseUser,
    credits: int,
    *,
    remark: str,
    actor: AbstractBaseUser | None = None,
    expires_in_days: int | None = None,
) -> CreditTransaction:
    """A staff correction. Positive: a new SYSTEM_ADJUST package (optionally expiring).
    Negative: deduct from the available balance, FIFO like spending; refused with
    BalanceBelowZeroError (409) when it would go below zero. Zero is refused (400)."""
    if isinstance(credits, bool) or not isinstance(credits, int) or credits == 0:
        raise InvalidCreditsError("An adjustment must be a non-zero whole number of credits.")
    _require_amount(abs(credits), "adjustment")
    remark = (remark or "").strip()
    if not remark:
        raise InvalidCreditsError("An adjustment needs a remark saying why.")
    if expires_in_days is not None:
        if credits < 0:
            raise InvalidCreditsError("Only added credits can expire.")
        if (
            isinstance(expires_in_days, bool)
            or not isinstance(expires_in_days, int)
            or not 1 <= expires_in_days <= MAX_EXPIRY_DAYS
        ):
            raise InvalidCreditsError(f"Expiry must be a whole number of days, 1 to {MAX_EXPIRY_DAYS}.")
    if credits > 0:
        expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
        granted = _grant(
            user,
            credits,
            trans_type=TransType.SYSTEM_ADJUST,
            order_no=f"ADJUST-{uuid.uuid4().hex}",
            expires_at=expires_at,
            remark=remark,
            actor=actor,
        )
        assert granted.entry is not None  # a fresh order number always grants
        return granted.entry
    deduction = -credits
    with transaction.atomic():
        account, now = _lock_for_spending(user.pk)
        if account.available < deduction:
            raise BalanceBelowZeroError(requested=deduction, available=account.available)
        for package, _taken in _draw(account, deduction, now):
            package.save(update_fields=["remaining"])
        account.available -= deduction
        entry = _record(account, TransType.SYSTEM_ADJUST, credits, now=now, remark=remark, actor=actor)
        _save(account)
    return entry


def expire_due(now: datetime | None = None) -> int:
    """Expire the unfrozen remainder of every package past its date; returns credits expired.

    Each user is its own short transaction, so one busy account does not hold up the rest.
    """
    now = now or timezone.now()
    user_ids = list(
        CreditPackage.objects.filter(remaining__gt=0, expires_at__lte=now)
        .order_by()
        .values_list("user_id", flat=True)
        .distinct()
    )
    expired = 0
    for user_id in user_ids:
        with transaction.atomic():
            account = _lock_account(user_id)
            credits = _expire_packages(account, now)
            if credits:
                _save(account)
            expired += credits
    return expired
