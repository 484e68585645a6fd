from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.test import APIClient

from credits import services
from credits.models import CreditPackage, TransType


def give(
    user,
    amount: int,
    *,
    expires_in: timedelta | None = None,
    order_no: str | None = None,
    trans_type: str = TransType.ORDER_PAY,
) -> CreditPackage:
    """Grant through the ledger's one writer, as production does."""
    return services.grant(
        user,
        amount,
        trans_type=trans_type,
        order_no=order_no or f"T-{uuid.uuid4().hex}",
        expires_at=timezone.now() + expires_in if expires_in else None,
    )


def expire_now(package: CreditPackage, *, ago: timedelta = timedelta(seconds=1)) -> datetime:
    """Move a package's date into the past (a package cannot be granted already expired)."""
    when = timezone.now() - ago
    CreditPackage.objects.filter(pk=package.pk).update(expires_at=when)
    return when


def reference() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def funded_user(user):
    give(user, 10)
    return user


def allow_adjusting(user):
    """Give a staff user the permission the admin's adjust form and the staff API ask for."""
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="credits", codename="change_creditaccount")
    )
    return user


@pytest.fixture
def adjuster(staff_user):
    return allow_adjusting(staff_user)


@pytest.fixture
def adjuster_client(adjuster):
    api_client = APIClient()
    api_client.force_login(adjuster)
    return api_client
