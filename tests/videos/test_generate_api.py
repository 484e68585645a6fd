from __future__ import annotations

import pytest

from credits.selectors import balance_of
from modelconfig.models import AIModel
from tests.factories import give_credits
from tests.videos.conftest import GENERATE_BODY
from videos.models import Video

URL = "/api/v1/video/generate"


def generate(client, body=None, **headers):
    return client.post(URL, body if body is not None else GENERATE_BODY, format="json", headers=headers)


def assert_nothing_held(user):
    assert not Video.objects.filter(user=user).exists()
    assert balance_of(user).frozen == 0


def test_generate_answers_202_with_the_pending_video_and_holds_its_price(auth_client, funded_user):
    response = generate(auth_client)

    assert response.status_code == 202
    body = response.json()
    video = Video.objects.get(user=funded_user)
    assert body == {
        "success": True,
        "data": {
            "uuid": str(video.uuid),
            "status": "PENDING",
            "model": "sora-2",
            "creditsUsed": 2,
            "createdAt": video.created_at.isoformat().replace("+00:00", "Z"),
            "duration": 10,
            "aspectRatio": "16:9",
            "quality": "720p",
        },
    }
    assert body["data"]["createdAt"].endswith("Z")
    balance = balance_of(funded_user)
    assert (balance.available, balance.frozen) == (98, 2)


def test_generate_uses_the_models_default_quality(auth_client, funded_user):
    response = generate(auth_client, {**GENERATE_BODY, "model": "wan-2-6", "duration": 5})

    assert response.status_code == 202
    assert response.json()["data"]["quality"] == "720p"
    assert response.json()["data"]["creditsUsed"] == 25


def test_generate_prices_the_requested_quality(auth_client, funded_user):
    body = {**GENERATE_BODY, "model": "wan-2-6", "duration": 5, "quality": "1080p"}

    response = generate(auth_client, body)

    assert response.json()["data"]["creditsUsed"] == 42
    assert balance_of(funded_user).frozen == 42


REFUSALS = {
    "unknown_model": ({"model": "no-such-model"}, "model"),
    "duration_not_offered": ({"duration": 7}, "duration"),
    "aspect_ratio_not_offered": ({"aspectRatio": "1:1"}, "aspectRatio"),
    "malformed_aspect_ratio": ({"aspectRatio": "16x9"}, "aspectRatio"),
    "quality_not_offered": ({"quality": "1080p"}, "quality"),
    "empty_prompt": ({"prompt": ""}, "prompt"),
    "blank_prompt": ({"prompt": "   "}, "prompt"),
    "over_long_prompt": ({"prompt": "x" * 5001}, "prompt"),
    "missing_model": ({"model": None}, "model"),
    "duration_not_a_number": ({"duration": "ten"}, "duration"),
    "malformed_start_image_url": ({"startImageUrl": "not a url"}, "startImageUrl"),
    "non_http_start_image_url": ({"startImageUrl": "ftp://example.com/a.png"}, "startImageUrl"),
    "nul_in_prompt": ({"prompt": "fox\x00"}, "prompt"),
}


@pytest.mark.parametrize(("change", "field"), REFUSALS.values(), ids=REFUSALS.keys())
def test_generate_refuses_invalid_input_and_holds_nothing(auth_client, funded_user, change, field):
    body = {k: v for k, v in {**GENERATE_BODY, **change}.items() if v is not None}

    response = generate(auth_client, body)

    assert response.status_code == 400
    payload = response.json()
    assert payload["success"] is False
    assert payload["code"] == "invalid_input"
    assert isinstance(payload["error"], str)
    assert list(payload["fields"]) == [field]
    assert_nothing_held(funded_user)


def test_generate_refuses_a_disabled_model(auth_client, funded_user):
    AIModel.objects.filter(pk="sora-2").update(enabled=False)

    response = generate(auth_client)

    assert response.status_code == 400
    assert response.json()["fields"] == {"model": ["Model 'sora-2' does not exist or is not available."]}
    assert_nothing_held(funded_user)


def test_generate_refuses_a_start_image_for_a_model_without_image_to_video(auth_client, funded_user):
    AIModel.objects.filter(pk="sora-2").update(supports_image_to_video=False)

    response = generate(auth_client, {**GENERATE_BODY, "startImageUrl": "https://example.com/a.png"})

    assert response.status_code == 400
    assert response.json()["fields"] == {"startImageUrl": ["Sora 2 does not take a start image."]}
    assert_nothing_held(funded_user)


def test_generate_accepts_a_start_image_for_an_image_to_video_model(auth_client, funded_user):
    response = generate(auth_client, {**GENERATE_BODY, "startImageUrl": "https://example.com/a.png"})

    assert response.status_code == 202
    assert Video.objects.get(user=funded_user).start_image_url == "https://example.com/a.png"


def test_generate_without_enough_credits_answers_402_and_holds_nothing(auth_client, user):
    give_credits(user, 1)

    response = generate(auth_client)

    assert response.status_code == 402
    assert response.json() == {
        "success": False,
        "error": "Insufficient credits: required 2, available 1",
        "code": "insufficient_credits",
    }
    assert_nothing_held(user)
    assert balance_of(user).available == 1


def test_generate_requires_a_session(client, db):
    response = generate(client)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert not Video.objects.exists()


def test_generate_with_the_same_idempotency_key_answers_the_first_response_and_charges_once(
    auth_client, funded_user
):
    first = generate(auth_client, **{"Idempotency-Key": "key-1"})
    second = generate(auth_client, **{"Idempotency-Key": "key-1"})

    assert first.status_code == second.status_code == 202
    assert second.json() == first.json()
    assert Video.objects.filter(user=funded_user).count() == 1
    assert balance_of(funded_user).frozen == 2


def test_generate_with_a_reused_idempotency_key_and_another_body_answers_409(auth_client, funded_user):
    generate(auth_client, **{"Idempotency-Key": "key-1"})

    response = generate(auth_client, {**GENERATE_BODY, "duration": 15}, **{"Idempotency-Key": "key-1"})

    assert response.status_code == 409
    assert response.json() == {
        "success": False,
        "error": "This Idempotency-Key was already used with a different request body.",
        "code": "idempotency_key_reused",
    }
    assert Video.objects.filter(user=funded_user).count() == 1
    assert balance_of(funded_user).frozen == 2


def test_idempotency_keys_belong_to_one_user(auth_client, other_client, funded_user, other_user):
    give_credits(other_user, 10)

    generate(auth_client, **{"Idempotency-Key": "shared"})
    response = generate(other_client, **{"Idempotency-Key": "shared"})

    assert response.status_code == 202
    assert Video.objects.filter(user=other_user).count() == 1


def test_generate_refuses_an_over_long_idempotency_key(auth_client, funded_user):
    response = generate(auth_client, **{"Idempotency-Key": "k" * 256})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["Idempotency-Key"]
    assert_nothing_held(funded_user)


def test_generate_reports_every_bad_field_in_one_answer(auth_client, funded_user):
    body = {**GENERATE_BODY, "model": "no-such-model", "duration": "ten", "aspectRatio": "wide"}

    response = generate(auth_client, body)

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "Invalid input: check model, duration, aspectRatio.",
        "code": "invalid_input",
        "fields": {
            "model": ["Model 'no-such-model' does not exist or is not available."],
            "duration": ["A valid integer is required."],
            "aspectRatio": ["Give an aspect ratio such as 16:9."],
        },
    }
    assert_nothing_held(funded_user)


def test_generate_checks_every_field_against_a_known_model_in_one_answer(auth_client, funded_user):
    AIModel.objects.filter(pk="sora-2").update(supports_image_to_video=False)
    body = {
        **GENERATE_BODY,
        "prompt": "",
        "duration": 7,
        "aspectRatio": "1:1",
        "quality": "1080p",
        "startImageUrl": "https://example.com/a.png",
    }

    response = generate(auth_client, body)

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "Invalid input: check prompt, duration, aspectRatio, quality, startImageUrl.",
        "code": "invalid_input",
        "fields": {
            "prompt": ["This field may not be blank."],
            "duration": ["Sora 2 offers durations 10, 15 seconds."],
            "aspectRatio": ["Sora 2 offers aspect ratios 16:9, 9:16."],
            "quality": ["Sora 2 offers qualities 720p."],
            "startImageUrl": ["Sora 2 does not take a start image."],
        },
    }
    assert_nothing_held(funded_user)


def test_generate_without_duration_and_quality_uses_the_models_defaults_and_their_price(
    auth_client, funded_user
):
    response = generate(auth_client, {"prompt": "a fox", "model": "seedance-1-5", "aspectRatio": "21:9"})

    assert response.status_code == 202
    video = Video.objects.get(user=funded_user)
    assert response.json() == {
        "success": True,
        "data": {
            "uuid": str(video.uuid),
            "status": "PENDING",
            "model": "seedance-1-5",
            "creditsUsed": 20,  # 4 credits a second × the default 5 seconds, at the default 720p
            "createdAt": video.created_at.isoformat().replace("+00:00", "Z"),
            "duration": 5,
            "aspectRatio": "21:9",
            "quality": "720p",
        },
    }
    assert (video.duration, video.quality, video.credits_used) == (5, "720p", 20)
    assert balance_of(funded_user).frozen == 20
