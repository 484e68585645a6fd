"""credits listens to accounts' sign-up announcement and grants the new-user gift."""

from __future__ import annotations

import pytest

from accounts.services import sign_up
from accounts.signals import user_signed_up
from credits.selectors import balance_of, transactions_for

pytestmark = pytest.mark.django_db


def test_signing_up_grants_the_new_user_gift(settings):
    settings.NEW_USER_CREDITS = 3

    user = sign_up(email="nia@example.com", password="x7-Quokka-lamp")

    assert balance_of(user).available == 3
    assert [(t.credits, t.remark) for t in transactions_for(user, "NEW_USER")] == [(3, "Welcome credits")]


def test_the_gift_is_granted_once_however_often_the_sign_up_is_announced(user):
    user_signed_up.send(sender=None, user=user)
    user_signed_up.send(sender=None, user=user)

    assert balance_of(user).available == 2
