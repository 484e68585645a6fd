"""Models that make sound get a soundtrack: the demo provider renders one for them."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from modelconfig.models import AIModel
from modelconfig.selectors import model_makes_sound
from tests.videos.conftest import GENERATE_BODY
from tests.videos.providers.test_demo_provider import probe
from tests.videos.test_generation_flow import generate_inline

pytestmark = pytest.mark.usefixtures("media_root")


def stored_probe(video):
    return probe(Path(default_storage.path(video.video_file)))


def test_the_catalogue_marks_the_models_whose_description_promises_sound(db):
    assert list(AIModel.objects.filter(has_audio=True).values_list("id", flat=True)) == ["veo-3-1"]
    assert model_makes_sound("veo-3-1") is True
    assert model_makes_sound("sora-2") is False
    assert model_makes_sound("no-such-model") is False


def test_a_veo_generation_on_the_demo_provider_has_an_audio_track(
    auth_client, funded_user, django_capture_on_commit_callbacks
):
    body = {**GENERATE_BODY, "model": "veo-3-1", "duration": 8}

    video = generate_inline(auth_client, django_capture_on_commit_callbacks, body)

    assert video.status == "COMPLETED"
    result = stored_probe(video)
    assert result.audio is not None
    assert result.audio.startswith("aac")


def test_a_sora_generation_on_the_demo_provider_is_silent(
    auth_client, funded_user, django_capture_on_commit_callbacks
):
    video = generate_inline(auth_client, django_capture_on_commit_callbacks)

    assert video.status == "COMPLETED"
    assert stored_probe(video).audio is None
