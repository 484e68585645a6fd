"""``/`` is the studio's home page; its footer keeps the links to the API docs, schema,
admin and health check for developers and operators."""

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
    assert "<title>AI video generation · Kensa</title>" in response.text
    assert '<h1 id="hero-title">Kensa</h1>' in response.text


@pytest.mark.parametrize("href", ["/api/v1/docs", "/api/v1/schema", "/admin/", "/healthz"])
def test_home_page_links_to_docs_schema_admin_and_health(client, href):
    response = client.get("/")

    footer = response.text.split('<footer class="bottom">', 1)[1]
    assert f'href="{href}"' in footer


@pytest.mark.parametrize("href", ["/api/v1/docs", "/api/v1/schema", "/admin/", "/healthz"])
def test_signed_in_home_page_keeps_the_footer_links(client, href):
    client.force_login(UserFactory())

    response = client.get("/")

    assert f'href="{href}"' in response.text.split('<footer class="bottom">', 1)[1]


def test_home_page_loads_nothing_from_other_sites(client):
    response = client.get("/")

    assert not re.search(r'(src|href)="(https?:)?//', response.text)


def test_admin_view_site_link_opens_the_home_page():
    browser = Client()
    browser.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = browser.get("/admin/")

    assert response.status_code == 200
    assert '<a href="/">View site</a>' in response.text
