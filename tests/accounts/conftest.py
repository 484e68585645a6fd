from __future__ import annotations

import re

import pytest

from tests.fakes.smtp_server import Mailbox, links_in, smtp_server


@pytest.fixture
def mailbox(settings) -> Mailbox:
    """Account emails go over real SMTP to a server on loopback; its mailbox is returned."""
    with smtp_server() as (box, port):
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": port, "use_tls": False, "timeout": 5},
            }
        }
        yield box


@pytest.fixture
def mandatory(settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"


def link_in(message, path_fragment: str) -> str:
    """The one link in the message whose path contains ``path_fragment``."""
    links = [link for link in links_in(message) if path_fragment in link]
    assert len(set(links)) == 1, links
    return links[0]


def path_of(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)
