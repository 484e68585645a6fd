"""The ledger's writes: grant, hold, settle, release, adjust (docs/api.md: Video states and credits)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from credits import services
from credits.errors import (
    BalanceBelowZeroError,
    HoldExistsError,
    HoldNotFoundError,
    InsufficientCreditsError,
    InvalidCreditsError,
    OrderNumberTakenError,
)
from credits.models import CreditAccount, CreditHold, CreditPackage, CreditTransaction, HoldState, TransType
from credits.selectors import Balance, balance_of, hold_state, ledger_problems
from tests.credits.conftest import give, reference

pytestmark = pytest.mark.django_db


# --- grant ----------------------------------------------------------------------------------


def test_grant_adds_available_and_total_with_one_entry(user):
    package = services.grant(user, 7, trans_type=TransType.ORDER_PAY, order_no="ORD-1", remark="Pack")

    assert balance_of(user) == Balance(available=7, frozen=0, used=0, total=7)
    entry = CreditTransaction.objects.get(user=user)
    assert (entry.trans_type, entry.credits, entry.balance_after, entry.package, entry.remark) == (
        "ORDER_PAY",
        7,
        7,
        package,
        "Pack",
    )


def test_grant_same_order_twice_grants_once(user):
    first = services.grant(user, 7, trans_type=TransType.ORDER_PAY, order_no="ORD-1")
    second = services.grant(user, 7, trans_type=TransType.ORDER_PAY, order_no="ORD-1")

    assert second == first
    assert balance_of(user).available == 7
    assert CreditTransaction.objects.filter(user=user).count() == 1


def test_grant_refuses_order_number_of_another_user(user, other_user):
    services.grant(user, 7, trans_type=TransType.ORDER_PAY, order_no="ORD-1")

    with pytest.raises(OrderNumberTakenError):
        services.grant(other_user, 7, trans_type=TransType.ORDER_PAY, order_no="ORD-1")
    assert balance_of(other_user).total == 0


@pytest.mark.parametrize("amount", [0, -3, 2.5, True])
def test_grant_refuses_amount_that_is_not_a_positive_integer(user, amount):
    with pytest.raises(InvalidCreditsError):
        services.grant(user, amount, trans_type=TransType.ORDER_PAY, order_no="ORD-1")
    assert not CreditPackage.objects.exists()


def test_grant_refuses_a_spending_type(user):
    with pytest.raises(InvalidCreditsError):
        services.grant(user, 3, trans_type=TransType.VIDEO_CONSUME, order_no="ORD-1")


def test_grant_refuses_expiry_in_the_past(user):
    with pytest.raises(InvalidCreditsError):
        services.grant(user, 3, trans_type=TransType.ORDER_PAY, order_no="ORD-1", expires_at=timezone.now())


def test_grant_records_the_staff_author(user, staff_user):
    services.grant(user, 3, trans_type=TransType.SYSTEM_ADJUST, order_no="ORD-1", actor=staff_user)

    assert CreditTransaction.objects.get(user=user).actor == staff_user


def test_transaction_numbers_are_unique_and_readable(user):
    give(user, 1)
    give(user, 2)

    numbers = list(CreditTransaction.objects.order_by("sequence").values_list("trans_no", flat=True))
    today = timezone.now().strftime("%Y%m%d")
    assert numbers == [f"TX{today}-{user.pk}-000001", f"TX{today}-{user.pk}-000002"]


def test_new_user_credits_expire_after_configured_days(user):
    before = timezone.now()
    package = services.grant_new_user_credits(user)

    assert package.amount == settings.NEW_USER_CREDITS == 2
    assert package.trans_type == TransType.NEW_USER
    expected = before + timedelta(days=settings.NEW_USER_CREDITS_DAYS)
    assert expected <= package.expires_at <= expected + timedelta(seconds=5)


def test_new_user_credits_are_granted_once_per_user(user):
    services.grant_new_user_credits(user)
    services.grant_new_user_credits(user)

    assert balance_of(user) == Balance(available=2, frozen=0, used=0, total=2)


def test_new_user_credits_follow_the_setting(user, settings):
    settings.NEW_USER_CREDITS = 5
    settings.NEW_USER_CREDITS_DAYS = 0

    package = services.grant_new_user_credits(user)

    assert (package.amount, package.expires_at) == (5, None)


def test_no_new_user_credits_when_setting_is_zero(user, settings):
    settings.NEW_USER_CREDITS = 0

    assert services.grant_new_user_credits(user) is None
    assert not CreditPackage.objects.exists()


# --- hold -----------------------------------------------------------------------------------


def test_hold_moves_available_to_frozen_without_an_entry(funded_user):
    services.hold(funded_user, 4, reference="video-1")

    assert balance_of(funded_user) == Balance(available=6, frozen=4, used=0, total=10)
    assert CreditTransaction.objects.filter(user=funded_user).count() == 1  # only the grant
    assert hold_state("video-1") == HoldState.HOLDING
    assert ledger_problems() == []


def test_hold_refuses_when_credits_short_with_exact_message(user):
    give(user, 4)

    with pytest.raises(InsufficientCreditsError) as raised:
        services.hold(user, 10, reference="video-1")

    assert (raised.value.status_code, raised.value.code) == (402, "insufficient_credits")
    assert raised.value.message == "Insufficient credits: required 10, available 4"
    assert not CreditHold.objects.exists()
    assert balance_of(user).available == 4


def test_hold_refuses_without_any_account(user):
    with pytest.raises(InsufficientCreditsError, match="required 1, available 0"):
        services.hold(user, 1, reference="video-1")


def test_hold_refuses_a_second_hold_with_the_same_reference(funded_user):
    services.hold(funded_user, 1, reference="video-1")

    with pytest.raises(HoldExistsError):
        services.hold(funded_user, 1, reference="video-1")
    assert balance_of(funded_user).frozen == 1


def test_hold_refuses_non_positive_amount(funded_user):
    with pytest.raises(InvalidCreditsError):
        services.hold(funded_user, 0, reference="video-1")


def test_hold_draws_soonest_expiring_package_first(user):
    never = give(user, 5)
    late = give(user, 5, expires_in=timedelta(days=20))
    soon = give(user, 5, expires_in=timedelta(days=2))

    services.hold(user, 7, reference="video-1")

    remaining = {p.pk: p.remaining for p in CreditPackage.objects.all()}
    assert (remaining[soon.pk], remaining[late.pk], remaining[never.pk]) == (0, 3, 5)


def test_hold_draws_never_expiring_packages_oldest_first(user):
    older = give(user, 3)
    newer = give(user, 3)

    services.hold(user, 4, reference="video-1")

    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.remaining, older.frozen, newer.remaining, newer.frozen) == (0, 3, 2, 1)


def test_hold_records_what_it_took_from_each_package(user):
    first = give(user, 2, expires_in=timedelta(days=1))
    second = give(user, 5)

    credit_hold = services.hold(user, 4, reference="video-1")

    assert sorted(credit_hold.allocations.values_list("package_id", "amount")) == sorted(
        [(first.pk, 2), (second.pk, 2)]
    )


# --- settle and release -----------------------------------------------------------------------


def test_settle_consumes_frozen_credits_with_one_negative_entry(funded_user):
    services.hold(funded_user, 4, reference="video-1")

    assert services.settle("video-1") is True

    assert balance_of(funded_user) == Balance(available=6, frozen=0, used=4, total=10)
    entry = CreditTransaction.objects.get(trans_type=TransType.VIDEO_CONSUME)
    assert (entry.credits, entry.balance_after, entry.reference) == (-4, 6, "video-1")
    assert hold_state("video-1") == HoldState.SETTLED
    assert ledger_problems() == []


def test_release_returns_frozen_credits_without_any_entry(funded_user):
    services.hold(funded_user, 4, reference="video-1")

    assert services.release("video-1") is True

    assert balance_of(funded_user) == Balance(available=10, frozen=0, used=0, total=10)
    assert CreditTransaction.objects.filter(user=funded_user).count() == 1
    assert hold_state("video-1") == HoldState.RELEASED
    assert ledger_problems() == []


def test_release_returns_credits_to_the_packages_they_came_from(user):
    soon = give(user, 2, expires_in=timedelta(days=1))
    later = give(user, 5)
    services.hold(user, 4, reference="video-1")

    services.release("video-1")

    soon.refresh_from_db()
    later.refresh_from_db()
    assert (soon.remaining, soon.frozen, later.remaining, later.frozen) == (2, 0, 5, 0)


def test_settle_twice_ends_the_hold_once(funded_user):
    services.hold(funded_user, 4, reference="video-1")

    assert [services.settle("video-1"), services.settle("video-1")] == [True, False]
    assert CreditTransaction.objects.filter(trans_type=TransType.VIDEO_CONSUME).count() == 1
    assert balance_of(funded_user).used == 4


def test_release_twice_ends_the_hold_once(funded_user):
    services.hold(funded_user, 4, reference="video-1")

    assert [services.release("video-1"), services.release("video-1")] == [True, False]
    assert balance_of(funded_user) == Balance(available=10, frozen=0, used=0, total=10)


def test_settle_after_release_changes_nothing(funded_user):
    services.hold(funded_user, 4, reference="video-1")
    services.release("video-1")

    assert services.settle("video-1") is False
    assert balance_of(funded_user) == Balance(available=10, frozen=0, used=0, total=10)
    assert hold_state("video-1") == HoldState.RELEASED


def test_release_after_settle_changes_nothing(funded_user):
    services.hold(funded_user, 4, reference="video-1")
    services.settle("video-1")

    assert services.release("video-1") is False
    assert balance_of(funded_user) == Balance(available=6, frozen=0, used=4, total=10)
    assert hold_state("video-1") == HoldState.SETTLED


@pytest.mark.parametrize("end", [services.settle, services.release])
def test_ending_an_unknown_hold_raises_not_found(db, end):
    with pytest.raises(HoldNotFoundError):
        end(reference())


def test_hold_state_of_unknown_reference_is_none(db):
    assert hold_state(reference()) is None


# --- adjust ----------------------------------------------------------------------------------


def test_positive_adjust_adds_a_system_adjust_package_with_author(user, staff_user):
    entry = services.adjust(user, 5, remark="Goodwill", actor=staff_user)

    assert (entry.trans_type, entry.credits, entry.balance_after, entry.remark, entry.actor) == (
        "SYSTEM_ADJUST",
        5,
        5,
        "Goodwill",
        staff_user,
    )
    assert entry.package.trans_type == TransType.SYSTEM_ADJUST
    assert entry.package.expires_at is None
    assert balance_of(user) == Balance(available=5, frozen=0, used=0, total=5)


def test_positive_adjust_can_expire(user):
    entry = services.adjust(user, 5, remark="Trial", expires_in_days=7)

    expected = timezone.now() + timedelta(days=7)
    assert abs(entry.package.expires_at - expected) < timedelta(seconds=5)


def test_negative_adjust_deducts_fifo_with_author(user, staff_user):
    soon = give(user, 3, expires_in=timedelta(days=1))
    never = give(user, 5)

    entry = services.adjust(user, -4, remark="Refunded order", actor=staff_user)

    assert (entry.credits, entry.balance_after, entry.actor, entry.package) == (-4, 4, staff_user, None)
    soon.refresh_from_db()
    never.refresh_from_db()
    assert (soon.remaining, never.remaining) == (0, 4)
    assert balance_of(user) == Balance(available=4, frozen=0, used=0, total=8)
    assert ledger_problems() == []


def test_negative_adjust_refuses_to_go_below_zero(user):
    give(user, 3)

    with pytest.raises(BalanceBelowZeroError) as raised:
        services.adjust(user, -4, remark="Too much")

    assert (raised.value.status_code, raised.value.code) == (409, "balance_below_zero")
    assert balance_of(user).available == 3


def test_negative_adjust_cannot_take_frozen_credits(funded_user):
    services.hold(funded_user, 8, reference="video-1")

    with pytest.raises(BalanceBelowZeroError):
        services.adjust(funded_user, -3, remark="Too much")


def test_zero_adjust_is_refused(user):
    with pytest.raises(InvalidCreditsError):
        services.adjust(user, 0, remark="Nothing")


def test_adjust_requires_a_remark(user):
    with pytest.raises(InvalidCreditsError):
        services.adjust(user, 3, remark="  ")


def test_negative_adjust_refuses_an_expiry(funded_user):
    with pytest.raises(InvalidCreditsError):
        services.adjust(funded_user, -3, remark="Deduct", expires_in_days=3)


# --- counters --------------------------------------------------------------------------------


def test_account_counters_match_a_full_cycle(user):
    give(user, 10)
    services.hold(user, 3, reference="a")
    services.hold(user, 2, reference="b")
    services.settle("a")
    services.release("b")
    services.adjust(user, -1, remark="Fix")

    account = CreditAccount.objects.get(user=user)
    assert (account.available, account.frozen, account.used, account.total, account.sequence) == (
        6,
        0,
        3,
        10,
        3,
    )
    assert ledger_problems() == []
