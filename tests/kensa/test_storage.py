"""kensa.storage.MediaStorage: plain names skip Django's quoting, with the same result."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import FileSystemStorage

from kensa.storage import MediaStorage

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


@pytest.mark.parametrize("base_url", ["/media/", "https://cdn.example.com/kensa/media/"])
@pytest.mark.parametrize("name", NAMES)
def test_a_files_url_is_what_django_gives(name, base_url, tmp_path):
    ours = MediaStorage(location=tmp_path, base_url=base_url)
    django = FileSystemStorage(location=tmp_path, base_url=base_url)
    assert ours.url(name) == django.url(name)


def test_the_local_folder_is_served_by_the_media_storage():
    assert django_settings.STORAGE_BACKEND == "local"  # the test settings' default
    assert django_settings.STORAGES["default"]["BACKEND"] == "kensa.storage.MediaStorage"
