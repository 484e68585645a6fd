"""``/`` is a small page saying what Kensa is and where its API, admin and health check are."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_home_page_answers_html(client):
    response = client.get("/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert '<html lang="en">' in response.text
    assert "<title>Kensa" in response.text
    assert "<h1>Kensa</h1>" in response.text


@pytest.mark.parametrize("href", ["/api/v1/docs", "/api/v1/schema", "/admin/", "/healthz"])
def test_home_page_links_to_docs_schema_admin_and_health(client, href):
    response = client.get("/")

    assert f'href="{href}"' in response.text


def test_home_page_loads_nothing_from_other_sites(client):
    response = client.get("/")

    assert not re.search(r'(src|href)="(https?:)?//', response.text)


def test_admin_view_site_link_opens_the_home_page():
    browser = Client()
    browser.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = browser.get("/admin/")

    assert response.status_code == 200
    assert '<a href="/">View site</a>' in response.text
