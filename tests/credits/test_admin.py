"""Staff see the ledger read-only in the admin and adjust through services.adjust (docs/api.md)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from credits import services
from credits.models import CreditAccount, CreditHold, CreditPackage, CreditTransaction
from credits.selectors import balance_of
from tests.credits.conftest import give, reference
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


def test_adjust_page_has_the_admin_header_and_breadcrumbs(admin_client, user):
    give(user, 7)
    account = CreditAccount.objects.get(user=user)

    response = admin_client.get(f"/admin/credits/creditaccount/adjust/{user.pk}/")

    assert response.status_code == 200
    assert '<header id="header">' in response.text
    crumbs = re.search(r'<nav aria-label="Breadcrumbs">(.*?)</nav>', response.text, re.S).group(1)
    assert re.findall(r"<li[^>]*>(?:<a href=\"([^\"]+)\">)?([^<]+)", crumbs) == [
        ("/admin/", "Home"),
        ("/admin/credits/", "Credits"),
        ("/admin/credits/creditaccount/", "Credit accounts"),
        (f"/admin/credits/creditaccount/{account.pk}/change/", f"Credits of {user}"),
        ("", "Adjust credits"),
    ]


def test_adjust_page_lays_the_form_out_in_admin_rows(admin_client, user):
    response = admin_client.get(f"/admin/credits/creditaccount/adjust/{user.pk}/")

    assert '<fieldset class="module aligned' in response.text
    for name in ["credits", "remark", "expires_in_days"]:
        assert f'<div class="form-row field-{name}">' in response.text
    assert 'aria-describedby="id_credits_helptext"' in response.text
    assert re.search(r'<div class="submit-row">\s*<input type="submit" value="Adjust credits"', response.text)


def test_adjust_page_marks_the_field_in_error(admin_client, user):
    response = admin_client.post(
        f"/admin/credits/creditaccount/adjust/{user.pk}/", {"credits": "0", "remark": "Oops"}
    )

    assert response.status_code == 200
    assert '<p class="errornote">Please correct the error below.</p>' in response.text
    assert "Must not be zero." in response.text
    assert not CreditTransaction.objects.exists()


def user_cell(user) -> str:
    return f'<a href="/admin/auth/user/{user.pk}/change/">{user}</a>'


@pytest.mark.parametrize(
    ("model", "filter_titles"),
    [
        ("creditaccount", ["frozen credits", "available balance", "updated at"]),
        ("credithold", ["state", "created at", "ended at"]),
        ("creditpackage", ["trans type", "expires at", "created at"]),
        ("credittransaction", ["trans type", "created at", "actor"]),
    ],
)
def test_ledger_lists_offer_their_filters_and_search(admin_client, user, model, filter_titles):
    give(user, 7)
    services.hold(user, 2, reference())

    response = admin_client.get(f"/admin/credits/{model}/")

    assert response.status_code == 200
    assert re.findall(r'data-filter-title="([^"]+)"', response.text) == filter_titles
    assert 'id="searchbar"' in response.text


@pytest.mark.parametrize("model", ["creditaccount", "creditpackage", "credithold", "credittransaction"])
def test_ledger_lists_link_the_user_to_their_page(admin_client, user, model):
    give(user, 7)
    services.hold(user, 2, reference())

    response = admin_client.get(f"/admin/credits/{model}/")

    assert user_cell(user) in response.text


def test_accounts_filter_by_frozen_credits(admin_client, user, other_user):
    give(user, 7)
    services.hold(user, 3, reference())
    give(other_user, 2)

    frozen = admin_client.get("/admin/credits/creditaccount/?frozen=yes").text
    none_frozen = admin_client.get("/admin/credits/creditaccount/?frozen=no").text

    assert (user_cell(user) in frozen, user_cell(other_user) in frozen) == (True, False)
    assert (user_cell(user) in none_frozen, user_cell(other_user) in none_frozen) == (False, True)


def test_accounts_filter_by_available_balance(admin_client, user, other_user):
    give(user, 7)
    give(other_user, 2)
    services.hold(other_user, 2, reference())

    zero = admin_client.get("/admin/credits/creditaccount/?available=zero").text
    positive = admin_client.get("/admin/credits/creditaccount/?available=positive").text

    assert (user_cell(user) in zero, user_cell(other_user) in zero) == (False, True)
    assert (user_cell(user) in positive, user_cell(other_user) in positive) == (True, False)


def test_open_holds_are_found_by_their_empty_end(admin_client, user):
    give(user, 7)
    open_hold = services.hold(user, 2, reference())
    ended = services.hold(user, 3, reference())
    services.settle(ended.reference)

    response = admin_client.get("/admin/credits/credithold/?ended_at__isempty=1")

    assert (open_hold.reference in response.text, ended.reference in response.text) == (True, False)


def test_packages_are_found_by_their_remark(admin_client, user):
    give(user, 7)
    services.adjust(user, 5, remark="Goodwill for the outage", actor=admin_client.admin)
    goodwill = CreditPackage.objects.get(remark="Goodwill for the outage")

    response = admin_client.get("/admin/credits/creditpackage/?q=outage")

    assert goodwill.order_no in response.text
    assert CreditPackage.objects.exclude(pk=goodwill.pk).get().order_no not in response.text


def test_transactions_by_staff_are_told_apart_from_system_ones(admin_client, user):
    give(user, 7)
    services.adjust(user, 5, remark="Goodwill", actor=admin_client.admin)
    system, by_staff = CreditTransaction.objects.order_by("sequence")

    response = admin_client.get("/admin/credits/credittransaction/?actor__isempty=1")

    assert (system.trans_no in response.text, by_staff.trans_no in response.text) == (True, False)


def test_account_list_filters_by_frozen_and_available_credits(admin_client):
    idle, holding, empty = UserFactory(), UserFactory(), UserFactory()
    give(idle, 5)
    give(holding, 5)
    services.hold(holding, 5, reference())  # all 5 frozen, none available
    CreditAccount.objects.get_or_create(user=empty)

    def shown(**query: str) -> set[int]:
        page = admin_client.get("/admin/credits/creditaccount/", query)
        return {account.user_id for account in page.context["cl"].result_list}

    assert shown(frozen="yes") == {holding.pk}
    assert shown(frozen="no") == {idle.pk, empty.pk}
    assert shown(available="zero") == {holding.pk, empty.pk}
    assert shown(available="positive") == {idle.pk}
