"""Staff see the ledger read-only in the admin and adjust through services.adjust (SPEC §8)."""

from __future__ import annotations

import pytest
from django.test import Client

from credits.models import CreditAccount, CreditHold, CreditPackage, CreditTransaction
from credits.selectors import balance_of
from tests.credits.conftest import give
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(db) -> Client:
    admin = UserFactory(
        email="root@example.com", username="root@example.com", is_staff=True, is_superuser=True
    )
    browser = Client()
    browser.force_login(admin)
    browser.admin = admin
    return browser


def test_user_page_shows_the_balance(admin_client, user):
    give(user, 7)

    response = admin_client.get(f"/admin/auth/user/{user.pk}/change/")

    assert response.status_code == 200
    assert "available 7 · frozen 0 · used 0 · total 7" in response.text
    assert f"/admin/credits/creditaccount/adjust/{user.pk}/" in response.text


def test_adjust_form_adjusts_through_the_ledger_and_records_the_author(admin_client, user):
    response = admin_client.post(
        f"/admin/credits/creditaccount/adjust/{user.pk}/", {"credits": "4", "remark": "Goodwill"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/admin/auth/user/{user.pk}/change/"
    entry = CreditTransaction.objects.get(user=user)
    assert (entry.trans_type, entry.credits, entry.remark, entry.actor) == (
        "SYSTEM_ADJUST",
        4,
        "Goodwill",
        admin_client.admin,
    )


def test_adjust_form_shows_refusal_below_zero(admin_client, user):
    give(user, 1)

    response = admin_client.post(
        f"/admin/credits/creditaccount/adjust/{user.pk}/", {"credits": "-3", "remark": "Chargeback"}
    )

    assert response.status_code == 200
    assert "Cannot deduct 3 credits: only 1 available" in response.text
    assert balance_of(user).available == 1


def test_adjust_form_is_refused_to_staff_without_permission(staff_user, user):
    browser = Client()
    browser.force_login(staff_user)

    response = browser.post(
        f"/admin/credits/creditaccount/adjust/{user.pk}/", {"credits": "4", "remark": "x"}
    )

    assert response.status_code == 403
    assert not CreditTransaction.objects.exists()


@pytest.mark.parametrize("model", [CreditAccount, CreditPackage, CreditHold, CreditTransaction])
def test_ledger_rows_cannot_be_added_in_the_admin(admin_client, model):
    response = admin_client.get(f"/admin/credits/{model._meta.model_name}/add/")

    assert response.status_code == 403


def test_transactions_are_read_only_in_the_admin(admin_client, user):
    give(user, 7)
    entry = CreditTransaction.objects.get()

    page = admin_client.get(f"/admin/credits/credittransaction/{entry.pk}/change/")
    admin_client.post(f"/admin/credits/credittransaction/{entry.pk}/change/", {"credits": "99"})

    assert page.status_code == 200
    assert 'name="credits"' not in page.text
    assert CreditTransaction.objects.get().credits == 7


@pytest.mark.parametrize("model", ["creditaccount", "creditpackage", "credithold", "credittransaction"])
def test_ledger_lists_open_in_the_admin(admin_client, user, model):
    give(user, 7)

    assert admin_client.get(f"/admin/credits/{model}/").status_code == 200
