"""Races on PostgreSQL with real threads, each on its own database connection (docs/api.md).

``transaction=True``: the threads must see each other's commits, so these tests cannot
run inside the usual per-test transaction.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.db.models import Sum
from rest_framework.test import APIClient

from credits import services
from credits.errors import BalanceBelowZeroError, InsufficientCreditsError
from credits.models import CreditHold, CreditPackage, CreditTransaction, HoldState, TransType
from credits.selectors import Balance, balance_of, ledger_problems
from tests.credits.conftest import allow_adjusting, give
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def in_parallel(calls: list[Callable[[], object]]) -> list[object]:
    """Run every call in its own thread, all released at once; results (or exceptions) in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], object]) -> object:
        try:
            barrier.wait(timeout=10)
            return call()
        except Exception as error:
            return error
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_parallel_holds_for_the_last_credits_succeed_exactly_as_often_as_credits_allow(user):
    give(user, 5)

    results = in_parallel([lambda: services.hold(user, 1, reference=str(uuid.uuid4())) for _ in range(20)])

    assert sum(isinstance(r, CreditHold) for r in results) == 5
    assert sum(isinstance(r, InsufficientCreditsError) for r in results) == 15
    assert balance_of(user) == Balance(available=0, frozen=5, used=0, total=5)
    assert ledger_problems() == []


def test_settle_racing_release_ends_each_hold_exactly_once(user):
    give(user, 10)
    rounds = 10
    outcomes = []
    for index in range(rounds):
        reference = f"video-{index}"
        services.hold(user, 1, reference=reference)
        settled, released = in_parallel(
            [lambda r=reference: services.settle(r), lambda r=reference: services.release(r)]
        )
        outcomes.append((settled, released))

    assert all(sorted(pair) == [False, True] for pair in outcomes)
    settles = sum(settled for settled, _ in outcomes)
    assert CreditTransaction.objects.filter(trans_type=TransType.VIDEO_CONSUME).count() == settles
    assert CreditHold.objects.filter(state=HoldState.SETTLED).count() == settles
    assert balance_of(user) == Balance(available=10 - settles, frozen=0, used=settles, total=10)
    assert ledger_problems() == []


def test_parallel_settles_of_one_hold_charge_once(user):
    give(user, 5)
    services.hold(user, 2, reference="video-1")

    results = in_parallel([lambda: services.settle("video-1") for _ in range(8)])

    assert sorted(results) == [False] * 7 + [True]
    assert balance_of(user) == Balance(available=3, frozen=0, used=2, total=5)


def test_parallel_grants_of_one_order_grant_once(user):
    results = in_parallel(
        [lambda: services.grant(user, 5, trans_type=TransType.ORDER_PAY, order_no="ORD-1") for _ in range(8)]
    )

    assert len({r.pk for r in results}) == 1
    assert balance_of(user).total == 5
    assert CreditTransaction.objects.count() == 1


def test_mixed_stress_run_keeps_the_ledger_consistent(db):
    users = [UserFactory() for _ in range(3)]
    for user in users:
        give(user, 20)
    open_holds: list[str] = []
    guard = threading.Lock()
    tally: Counter = Counter()

    def count(name: str) -> None:
        with guard:
            tally[name] += 1

    def worker(seed: int) -> None:
        rnd = random.Random(seed)  # reproducible per thread
        try:
            for step in range(130):
                user = rnd.choice(users)
                op = rnd.random()
                with guard:
                    ref = rnd.choice(open_holds) if open_holds else None
                if op < 0.15:
                    # Half the grants reuse an order number another thread may grant too.
                    shared = rnd.random() < 0.5
                    order = f"SHARED-{users.index(user)}-{step}" if shared else f"ORD-{seed}-{step}"
                    services.grant(user, rnd.randint(1, 4), trans_type=TransType.ORDER_PAY, order_no=order)
                elif op < 0.55 or ref is None:
                    ref = str(uuid.uuid4())
                    try:
                        services.hold(user, rnd.randint(1, 3), reference=ref)
                    except InsufficientCreditsError:
                        count("refused")
                    else:
                        with guard:
                            open_holds.append(ref)
                elif op < 0.9:
                    # The hold may already have been ended by another thread: it must not count twice.
                    end = services.settle if rnd.random() < 0.6 else services.release
                    if end(ref):
                        count(end.__name__)
                else:
                    try:
                        services.adjust(user, rnd.choice([-2, -1, 1, 2]), remark="stress")
                    except BalanceBelowZeroError:
                        count("below_zero")
                count("ops")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(worker, range(8)))  # re-raises any unexpected error of a worker

    assert tally["ops"] == 8 * 130
    assert tally["settle"] > 0
    assert tally["release"] > 0
    assert ledger_problems() == []
    holds = Counter(CreditHold.objects.values_list("state", flat=True))
    assert holds[HoldState.SETTLED] == tally["settle"]
    assert holds[HoldState.RELEASED] == tally["release"]
    consumed = CreditTransaction.objects.filter(trans_type=TransType.VIDEO_CONSUME)
    assert consumed.count() == tally["settle"]
    assert consumed.values("reference").distinct().count() == tally["settle"]
    for user in users:
        balance = balance_of(user)
        ledger_sum = CreditTransaction.objects.filter(user=user).aggregate(s=Sum("credits"))["s"]
        assert ledger_sum == balance.available + balance.frozen
        assert balance.total == CreditPackage.objects.filter(user=user).aggregate(s=Sum("amount"))["s"]
        assert min(balance.available, balance.frozen) >= 0


@pytest.mark.parametrize("credits", [5, -5], ids=["add", "deduct"])
def test_parallel_retries_of_one_staff_adjustment_adjust_once(user, staff_user, credits):
    give(user, 10)
    allow_adjusting(staff_user)
    body = {"user": user.pk, "credits": credits, "remark": "Goodwill"}

    def retry() -> object:
        client = APIClient()
        client.force_login(staff_user)
        return client.post(
            "/api/v1/admin/credits/adjust", body, format="json", HTTP_IDEMPOTENCY_KEY="adj-parallel"
        )

    responses = in_parallel([retry for _ in range(8)])

    assert [getattr(r, "status_code", r) for r in responses] == [200] * 8
    assert all(r.json() == responses[0].json() for r in responses)  # every retry: the first answer
    assert CreditTransaction.objects.filter(user=user, trans_type=TransType.SYSTEM_ADJUST).count() == 1
    assert balance_of(user).available == 10 + credits
    assert ledger_problems() == []
