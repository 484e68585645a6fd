"""Signing up: the account is created and announced in one transaction."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from accounts.errors import EmailTakenError
from accounts.services import sign_up
from accounts.signals import user_signed_up

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def announced():
    seen = []

    def receiver(sender, *, user, **kwargs):
        seen.append((user.email, connection.in_atomic_block))

    user_signed_up.connect(receiver, dispatch_uid="test-announced")
    yield seen
    user_signed_up.disconnect(dispatch_uid="test-announced")


def test_sign_up_announces_the_new_account_inside_its_transaction(announced):
    user = sign_up(email="nia@example.com", password="x7-Quokka-lamp", name="Nia")

    assert announced == [("nia@example.com", True)]
    assert (user.username, user.first_name) == ("nia@example.com", "Nia")
    assert user.check_password("x7-Quokka-lamp")


def test_a_failing_listener_undoes_the_sign_up():
    def refuse(sender, **kwargs):
        raise RuntimeError("listener failed")

    user_signed_up.connect(refuse, dispatch_uid="test-refuse")
    try:
        with pytest.raises(RuntimeError):
            sign_up(email="nia@example.com", password="x7-Quokka-lamp")
    finally:
        user_signed_up.disconnect(dispatch_uid="test-refuse")

    assert not User.objects.filter(username="nia@example.com").exists()


def test_sign_up_with_a_taken_email_raises_email_taken(user, announced):
    with pytest.raises(EmailTakenError):
        sign_up(email=user.username, password="x7-Quokka-lamp")

    assert announced == []
