from __future__ import annotations

import pytest

from tests.videos.conftest import give_credits
from tests.webhooks.support import EVOLINK, KIE, fake_provider


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def funded_user(user):
    give_credits(user, 100)
    return user


@pytest.fixture
def evolink(settings):
    with fake_provider(settings, EVOLINK) as server:
        yield server


@pytest.fixture
def kie(settings):
    with fake_provider(settings, KIE) as server:
        yield server
