from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from modelconfig.models import AIModel
from tests.factories import UserFactory

CHANGELIST = "/admin/modelconfig/aimodel/"
CHANGE_PAGE = f"{CHANGELIST}sora-2/change/"


@pytest.fixture
def admin_client(client, db):
    superuser = UserFactory(email="root@example.com", username="root@example.com", is_staff=True)
    superuser.is_superuser = True
    superuser.save()
    client.force_login(superuser)
    return client


@pytest.fixture
def viewer_client(staff_client, staff_user):
    """Staff who may look at the catalogue but not change it."""
    staff_user.user_permissions.add(Permission.objects.get(codename="view_aimodel"))
    return staff_client


def test_model_change_page_offers_save_to_staff_who_may_change_it(admin_client):
    content = admin_client.get(CHANGE_PAGE).content.decode()

    assert 'name="_save"' in content


def test_model_change_page_has_no_save_buttons_for_staff_who_may_only_view(viewer_client):
    response = viewer_client.get(CHANGE_PAGE)

    content = response.content.decode()
    assert response.status_code == 200
    assert "Sora" in content
    assert 'name="_save"' not in content
    assert 'name="_continue"' not in content
    assert 'name="_addanother"' not in content


def test_model_changelist_is_not_editable_for_staff_who_may_only_view(viewer_client):
    enabled = AIModel.objects.get(pk="sora-2").enabled

    page = viewer_client.get(CHANGELIST).content.decode()
    viewer_client.post(
        CHANGELIST,
        {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-0-id": "sora-2", "_save": "Save"},
    )

    assert 'name="_save"' not in page
    assert 'name="form-0-enabled"' not in page
    assert AIModel.objects.get(pk="sora-2").enabled == enabled


def test_model_changelist_has_a_search_box_and_filters(admin_client):
    response = admin_client.get(CHANGELIST)

    assert 'id="searchbar"' in response.content.decode()
    titles = {spec.title for spec in response.context["cl"].filter_specs}
    assert {"enabled", "provider", "supports image to video"} <= titles


def test_model_changelist_searches_by_name(admin_client):
    response = admin_client.get(CHANGELIST, {"q": "sora"})

    assert [m.pk for m in response.context["cl"].result_list] == ["sora-2"]
