"""Package expiry, including credits frozen in a package that expires (docs/api.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from credits import services
from credits.errors import InsufficientCreditsError
from credits.models import CreditPackage, CreditTransaction, TransType
from credits.selectors import Balance, balance_of, ledger_problems
from tests.credits.conftest import expire_now, give

pytestmark = pytest.mark.django_db


def test_expire_due_expires_remainder_past_date_with_an_entry(user):
    package = give(user, 5, expires_in=timedelta(days=1))

    expired = services.expire_due(now=timezone.now() + timedelta(days=2))

    assert expired == 5
    entry = CreditTransaction.objects.get(trans_type=TransType.EXPIRED)
    assert (entry.credits, entry.balance_after, entry.package) == (-5, 0, package)
    assert balance_of(user) == Balance(available=0, frozen=0, used=0, total=5)
    assert ledger_problems() == []


def test_expire_due_leaves_packages_not_yet_due(user):
    give(user, 5, expires_in=timedelta(days=3))
    give(user, 4)

    assert services.expire_due(now=timezone.now() + timedelta(days=2)) == 0
    assert balance_of(user).available == 9


def test_expire_due_twice_expires_once(user):
    give(user, 5, expires_in=timedelta(days=1))
    later = timezone.now() + timedelta(days=2)

    assert [services.expire_due(now=later), services.expire_due(now=later)] == [5, 0]
    assert CreditTransaction.objects.filter(trans_type=TransType.EXPIRED).count() == 1


def test_expire_due_covers_every_user(user, other_user):
    give(user, 5, expires_in=timedelta(days=1))
    give(other_user, 3, expires_in=timedelta(days=1))

    assert services.expire_due(now=timezone.now() + timedelta(days=2)) == 8


def test_expire_due_leaves_frozen_credits_of_an_expired_package(user):
    package = give(user, 5, expires_in=timedelta(days=1))
    services.hold(user, 2, reference="video-1")

    assert services.expire_due(now=timezone.now() + timedelta(days=2)) == 3

    package.refresh_from_db()
    assert (package.remaining, package.frozen) == (0, 2)
    assert balance_of(user) == Balance(available=0, frozen=2, used=0, total=5)


def test_frozen_credits_of_expired_package_are_settled_normally(user):
    package = give(user, 5, expires_in=timedelta(days=1))
    services.hold(user, 2, reference="video-1")
    expire_now(package)
    services.expire_due()

    assert services.settle("video-1") is True

    assert balance_of(user) == Balance(available=0, frozen=0, used=2, total=5)
    assert ledger_problems() == []


def test_released_credits_of_expired_package_expire_at_once(user):
    package = give(user, 5, expires_in=timedelta(days=1))
    services.hold(user, 2, reference="video-1")
    expire_now(package)
    services.expire_due()

    assert services.release("video-1") is True

    assert balance_of(user) == Balance(available=0, frozen=0, used=0, total=5)
    entry = CreditTransaction.objects.filter(trans_type=TransType.EXPIRED).latest("sequence")
    assert (entry.credits, entry.balance_after, entry.reference, entry.package) == (-2, 0, "video-1", package)
    assert ledger_problems() == []


def test_release_expires_only_the_part_from_the_expired_package(user):
    soon = give(user, 2, expires_in=timedelta(days=1))
    give(user, 5)
    services.hold(user, 4, reference="video-1")
    expire_now(soon)

    services.release("video-1")

    assert balance_of(user) == Balance(available=5, frozen=0, used=0, total=7)
    assert CreditTransaction.objects.get(trans_type=TransType.EXPIRED).credits == -2
    assert ledger_problems() == []


def test_release_into_two_expired_packages_keeps_the_balance_chain(user):
    first = give(user, 2, expires_in=timedelta(days=1))
    second = give(user, 2, expires_in=timedelta(days=1))
    services.hold(user, 3, reference="video-1")
    expire_now(first)
    expire_now(second)

    services.release("video-1")

    entries = CreditTransaction.objects.filter(trans_type=TransType.EXPIRED, reference="video-1")
    assert sorted(entry.credits for entry in entries) == [-2, -1]
    assert balance_of(user) == Balance(available=0, frozen=0, used=0, total=4)
    assert ledger_problems() == []


def test_hold_does_not_spend_credits_past_their_date(user):
    package = give(user, 5, expires_in=timedelta(days=1))
    give(user, 1)
    expire_now(package)

    with pytest.raises(InsufficientCreditsError, match="required 3, available 1"):
        services.hold(user, 3, reference="video-1")


def test_hold_writes_off_due_credits_before_drawing(user):
    package = give(user, 5, expires_in=timedelta(days=1))
    give(user, 4)
    expire_now(package)

    services.hold(user, 3, reference="video-1")

    assert CreditTransaction.objects.get(trans_type=TransType.EXPIRED).credits == -5
    assert CreditPackage.objects.get(pk=package.pk).remaining == 0
    assert balance_of(user) == Balance(available=1, frozen=3, used=0, total=9)
    assert ledger_problems() == []


def test_balance_leaves_out_due_credits_before_the_job_runs(user):
    package = give(user, 5, expires_in=timedelta(days=1))
    give(user, 1)
    expire_now(package)

    assert balance_of(user).available == 1


def test_credits_expire_command_reports_expired_credits(user, capsys):
    package = give(user, 5, expires_in=timedelta(days=1))
    expire_now(package)

    call_command("credits_expire")

    assert capsys.readouterr().out == "Expired 5 credits.\n"
    assert balance_of(user).available == 0
