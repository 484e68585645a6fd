"""The studio's pages as the server answers them (what they do in a browser:
tests/studio/test_browser.py)."""

from __future__ import annotations

import re

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SIGNED_IN_PAGES = [
    "/studio",
    "/videos",
    "/videos/dc7935ee-0e21-4510-860d-9cb464a87b49",
    "/credits",
    "/settings/webhooks",
]
ALL_PAGES = ["/", "/signup", "/login", "/logout", *SIGNED_IN_PAGES]


@pytest.fixture
def member(client):
    client.force_login(UserFactory(email="member@example.com", username="member@example.com"))
    return client


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_signed_in_pages_send_visitors_to_sign_in_and_back(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == "/login?next=" + path.replace("/", "%2F")


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_signed_in_pages_answer_members(member, path):
    response = member.get(path)

    assert response.status_code == 200
    assert "member@example.com" in response.text


@pytest.mark.parametrize("path", ["/signup", "/login"])
def test_sign_up_and_in_send_members_to_the_studio(member, path):
    response = member.get(path)

    assert (response.status_code, response["Location"]) == (302, "/studio")


def test_home_page_shows_the_studio_when_signed_in(member):
    response = member.get("/")

    assert response.status_code == 200
    assert 'id="generate-form"' in response.text


def test_home_page_lists_each_model_with_its_prices_and_the_products(client):
    response = client.get("/")

    sora = response.text.split('id="model-sora-2"', 1)[1].split("</article>", 1)[0]
    assert "<h3>Sora 2</h3>" in sora
    assert "<tr><td>10 s</td><td>720p</td><td>2</td></tr>" in sora
    assert "<tr><td>15 s</td><td>720p</td><td>3</td></tr>" in sora
    assert "Starter pack" in response.text
    assert "USD 14.90" in response.text
    assert "USD 9.90 a month" in response.text


def test_a_malformed_video_id_is_not_a_page(member):
    assert member.get("/videos/not-a-uuid").status_code == 404


@pytest.mark.parametrize("path", ALL_PAGES)
def test_pages_allow_only_their_own_scripts(member, path):
    response = member.get(path)

    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";") if part.strip()
    )
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"


@pytest.mark.parametrize("path", ["/", "/signup", "/login"])
def test_signed_out_pages_carry_the_policy_too(client, path):
    assert "script-src 'self'" in client.get(path)["Content-Security-Policy"]


@pytest.mark.parametrize("path", ALL_PAGES)
def test_pages_have_no_inline_script_or_style_the_policy_would_block(member, path):
    text = member.get(path).text

    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text)
    assert "<style" not in text
    assert not re.search(r"\sstyle=", text)
    assert not re.search(r"\son[a-z]+=", text)


@pytest.mark.parametrize("path", ALL_PAGES)
def test_pages_load_nothing_from_other_sites(member, path):
    assert not re.search(r'(src|href)="(https?:)?//', member.get(path).text)


def test_other_pages_keep_their_own_policy(staff_client):
    response = staff_client.get("/api/v1/docs")

    assert "Content-Security-Policy" not in response


def test_pages_are_read_only(member):
    assert member.post("/studio").status_code == 405


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client
