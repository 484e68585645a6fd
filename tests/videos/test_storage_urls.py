"""videos.storage.url: a local folder's plain names skip Django's quoting, with the same result."""

from __future__ import annotations

import pytest
from django.core.files.storage import storages

from videos import storage

NAMES = [
    "videos/3040d680-c34e-e1ea-2b37-303984df1f18-1a2b3c4d.mp4",
    "thumbnails/3040d680-c34e-e1ea-2b37-303984df1f18-1a2b3c4d.jpg",
    "videos/3040d680-c34e-e1ea-2b37-303984df1f18-1a2b3c4d_Xy7Qp2z.mp4",  # a free variant
    "videos/with space.mp4",
    "videos/café.mp4",
    "videos/a%2Fb.mp4",
    "videos/../secret.mp4",
    "/videos/leading-slash.mp4",
    "videos/query?x=1.mp4",
    "videos/hash#frag.mp4",
    "videos//double.mp4",
    "videos/.hidden",
]


@pytest.mark.parametrize("name", NAMES)
def test_a_local_files_url_is_what_django_gives(name, settings):
    settings.MEDIA_URL = "/media/"
    assert storage.url(name) == storages["default"].url(name)


@pytest.mark.parametrize("name", NAMES[:3])
def test_a_local_files_url_under_an_absolute_media_url_is_what_django_gives(name, settings):
    settings.MEDIA_URL = "https://cdn.example.com/kensa/media/"
    settings.STORAGES = {**settings.STORAGES}  # a new storage, built with that base URL
    assert storage.url(name) == storages["default"].url(name)
    assert storage.url(name).startswith("https://cdn.example.com/kensa/media/")


def test_no_name_has_no_url():
    assert storage.url("") is None
