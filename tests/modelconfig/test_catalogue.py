"""The model catalogue: seeded prices, the public endpoint, provider ids, admin edits (docs/api.md)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from modelconfig.models import AIModel
from modelconfig.pricing import price
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FORMULA = "ceil((baseCredits + creditsPerSecond * duration) * qualityMultiplier)"

SEEDED_PRICES = [
    ("sora-2", 10, "720p", 2),
    ("sora-2", 15, "720p", 3),
    ("veo-3-1", 8, "720p", 10),
    ("veo-3-1", 8, "1080p", 10),
    ("wan-2-6", 5, "720p", 25),
    ("wan-2-6", 10, "720p", 50),
    ("wan-2-6", 15, "720p", 75),
    ("wan-2-6", 5, "1080p", 42),
    ("wan-2-6", 10, "1080p", 84),
    ("wan-2-6", 15, "1080p", 126),
    *[("seedance-1-5", s, q, 4 * s) for s in (4, 5, 6, 8, 10, 12) for q in ("480p", "720p")],
    *[("seedance-1-5", s, "1080p", 8 * s) for s in (4, 5, 6, 8, 10, 12)],
]

# The vendors' model ids: (model, provider, id without a start image, id with a start image).
PROVIDER_MODEL_IDS = [
    ("sora-2", "evolink", "sora-2", "sora-2"),
    ("veo-3-1", "evolink", "veo-3.1-fast", "veo-3.1-fast"),
    ("wan-2-6", "evolink", "wan2.6-text-to-video", "wan2.6-image-to-video"),
    ("seedance-1-5", "evolink", "seedance-1.5-pro", "seedance-1.5-pro"),
    ("sora-2", "kie", "sora-2-text-to-video", "sora-2-image-to-video"),
    ("veo-3-1", "kie", "veo3_fast", "veo3_fast"),
    ("wan-2-6", "kie", "wan/2-6-text-to-video", "wan/2-6-image-to-video"),
    ("seedance-1-5", "kie", "bytedance/seedance-1.5-pro", "bytedance/seedance-1.5-pro"),
]


def _prices(rows: list[tuple[str, int, str, int]], model_id: str) -> list[dict]:
    return [{"duration": d, "quality": q, "credits": c} for m, d, q, c in rows if m == model_id]


EXPECTED_MODELS = [
    {
        "id": "sora-2",
        "name": "Sora 2",
        "description": "OpenAI's Sora 2: cinematic text-to-video and image-to-video.",
        "provider": "demo",
        "supportsImageToVideo": True,
        "durations": [10, 15],
        "defaultDuration": 10,
        "aspectRatios": ["16:9", "9:16"],
        "qualities": ["720p"],
        "defaultQuality": "720p",
        "pricing": {
            "baseCredits": 0.0,
            "creditsPerSecond": 0.2,
            "qualityMultipliers": {},
            "formula": FORMULA,
        },
        "prices": _prices(SEEDED_PRICES, "sora-2"),
    },
    {
        "id": "veo-3-1",
        "name": "Veo 3.1",
        "description": "Google's Veo 3.1 (fast): 8-second clips with sound.",
        "provider": "demo",
        "supportsImageToVideo": True,
        "durations": [8],
        "defaultDuration": 8,
        "aspectRatios": ["16:9", "9:16"],
        "qualities": ["720p", "1080p"],
        "defaultQuality": "720p",
        "pricing": {
            "baseCredits": 10.0,
            "creditsPerSecond": 0.0,
            "qualityMultipliers": {},
            "formula": FORMULA,
        },
        "prices": _prices(SEEDED_PRICES, "veo-3-1"),
    },
    {
        "id": "wan-2-6",
        "name": "Wan 2.6",
        "description": "Alibaba's Wan 2.6: text-to-video and image-to-video up to 1080p.",
        "provider": "demo",
        "supportsImageToVideo": True,
        "durations": [5, 10, 15],
        "defaultDuration": 5,
        "aspectRatios": ["16:9", "9:16", "1:1", "4:3", "3:4"],
        "qualities": ["720p", "1080p"],
        "defaultQuality": "720p",
        "pricing": {
            "baseCredits": 0.0,
            "creditsPerSecond": 5.0,
            "qualityMultipliers": {"1080p": 1.67},
            "formula": FORMULA,
        },
        "prices": [
            {"duration": 5, "quality": "720p", "credits": 25},
            {"duration": 5, "quality": "1080p", "credits": 42},
            {"duration": 10, "quality": "720p", "credits": 50},
            {"duration": 10, "quality": "1080p", "credits": 84},
            {"duration": 15, "quality": "720p", "credits": 75},
            {"duration": 15, "quality": "1080p", "credits": 126},
        ],
    },
    {
        "id": "seedance-1-5",
        "name": "Seedance 1.5 Pro",
        "description": "ByteDance's Seedance 1.5 Pro: 4 to 12 seconds, six aspect ratios.",
        "provider": "demo",
        "supportsImageToVideo": True,
        "durations": [4, 5, 6, 8, 10, 12],
        "defaultDuration": 5,
        "aspectRatios": ["16:9", "9:16", "1:1", "4:3", "3:4", "21:9"],
        "qualities": ["480p", "720p", "1080p"],
        "defaultQuality": "720p",
        "pricing": {
            "baseCredits": 0.0,
            "creditsPerSecond": 4.0,
            "qualityMultipliers": {"1080p": 2.0},
            "formula": FORMULA,
        },
        "prices": [
            {"duration": s, "quality": q, "credits": (8 if q == "1080p" else 4) * s}
            for s in (4, 5, 6, 8, 10, 12)
            for q in ("480p", "720p", "1080p")
        ],
    },
]


@pytest.mark.parametrize(("model_id", "duration", "quality", "credits"), SEEDED_PRICES)
def test_seeded_price(model_id, duration, quality, credits):
    assert price(AIModel.objects.get(pk=model_id), duration, quality) == credits


def test_seedance_1080p_for_12_seconds_costs_96():
    assert price(AIModel.objects.get(pk="seedance-1-5"), 12, "1080p") == 96


def test_catalogue_lists_every_field_and_every_price(client):
    response = client.get("/api/v1/config/models")

    assert response.status_code == 200
    assert response.json() == {"success": True, "data": {"models": EXPECTED_MODELS}}


def test_catalogue_is_public_without_session(client):
    response = client.get("/api/v1/config/models")

    assert response.status_code == 200
    assert [m["id"] for m in response.json()["data"]["models"]] == [
        "sora-2",
        "veo-3-1",
        "wan-2-6",
        "seedance-1-5",
    ]


def test_catalogue_hides_disabled_models(client):
    AIModel.objects.filter(pk="veo-3-1").update(enabled=False)

    response = client.get("/api/v1/config/models")

    assert response.status_code == 200
    assert [m["id"] for m in response.json()["data"]["models"]] == ["sora-2", "wan-2-6", "seedance-1-5"]


def test_catalogue_follows_sort_order(client):
    AIModel.objects.filter(pk="seedance-1-5").update(sort_order=1)

    response = client.get("/api/v1/config/models")

    assert response.json()["data"]["models"][0]["id"] == "seedance-1-5"


def test_catalogue_names_the_model_provider_when_set(client):
    AIModel.objects.filter(pk="sora-2").update(provider="kie")

    response = client.get("/api/v1/config/models")

    providers = {m["id"]: m["provider"] for m in response.json()["data"]["models"]}
    assert providers == {"sora-2": "kie", "veo-3-1": "demo", "wan-2-6": "demo", "seedance-1-5": "demo"}


@pytest.mark.parametrize(("model_id", "provider", "text_id", "image_id"), PROVIDER_MODEL_IDS)
def test_seeded_provider_model_ids(model_id, provider, text_id, image_id):
    model = AIModel.objects.get(pk=model_id)

    assert model.provider_model_id(provider, with_image=False) == text_id
    assert model.provider_model_id(provider, with_image=True) == image_id


def test_provider_model_id_is_none_for_unknown_provider():
    assert AIModel.objects.get(pk="sora-2").provider_model_id("nope", with_image=False) is None


def test_clean_rejects_default_duration_outside_durations():
    model = AIModel.objects.get(pk="wan-2-6")
    model.default_duration = 7

    with pytest.raises(ValidationError) as error:
        model.full_clean()

    assert error.value.message_dict == {"default_duration": ["Must be one of the durations."]}


def test_clean_rejects_a_price_of_zero_credits():
    model = AIModel.objects.get(pk="veo-3-1")
    model.base_credits = 0

    with pytest.raises(ValidationError) as error:
        model.full_clean()

    assert error.value.message_dict == {
        "base_credits": ["Every duration and quality must cost at least one credit."]
    }


def test_clean_rejects_default_quality_outside_qualities():
    model = AIModel.objects.get(pk="wan-2-6")
    model.default_quality = "4k"

    with pytest.raises(ValidationError) as error:
        model.full_clean()

    assert error.value.message_dict == {"default_quality": ["Must be one of the qualities."]}


def test_clean_rejects_non_positive_multiplier():
    model = AIModel.objects.get(pk="wan-2-6")
    model.quality_multipliers = {"1080p": "0"}

    with pytest.raises(ValidationError) as error:
        model.full_clean()

    assert error.value.message_dict == {"quality_multipliers": ["Multipliers must be positive."]}


def test_clean_accepts_seeded_models():
    for model in AIModel.objects.all():
        model.full_clean()


@pytest.fixture
def superuser_client():
    admin = UserFactory(
        email="root@example.com", username="root@example.com", is_staff=True, is_superuser=True
    )
    admin_client = APIClient()
    admin_client.force_login(admin)
    return admin_client


def test_admin_changelist_loads_for_superuser(superuser_client):
    response = superuser_client.get("/admin/modelconfig/aimodel/")

    assert response.status_code == 200
    assert b"Wan 2.6" in response.content


def test_admin_changelist_is_refused_to_staff_without_permission(staff_client):
    response = staff_client.get("/admin/modelconfig/aimodel/")

    assert response.status_code == 403


def _change_form(model: AIModel, **changes: object) -> dict[str, str]:
    form = {
        "id": model.id,
        "name": model.name,
        "description": model.description,
        "enabled": "on" if model.enabled else "",
        "sort_order": str(model.sort_order),
        "provider": model.provider,
        "supports_image_to_video": "on" if model.supports_image_to_video else "",
        "durations": json.dumps(model.durations),
        "default_duration": str(model.default_duration),
        "aspect_ratios": json.dumps(model.aspect_ratios),
        "qualities": json.dumps(model.qualities),
        "default_quality": model.default_quality,
        "base_credits": str(model.base_credits),
        "credits_per_second": str(model.credits_per_second),
        "quality_multipliers": json.dumps(model.quality_multipliers),
        "provider_model_ids": json.dumps(model.provider_model_ids),
    }
    form.update({key: str(value) for key, value in changes.items()})
    return {key: value for key, value in form.items() if value != ""}


def test_admin_price_edit_changes_api_price(superuser_client, client):
    model = AIModel.objects.get(pk="wan-2-6")

    response = superuser_client.post(
        "/admin/modelconfig/aimodel/wan-2-6/change/",
        _change_form(model, credits_per_second="6"),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert AIModel.objects.get(pk="wan-2-6").credits_per_second == Decimal("6")
    models = client.get("/api/v1/config/models").json()["data"]["models"]
    wan = next(m for m in models if m["id"] == "wan-2-6")
    assert wan["prices"][:2] == [
        {"duration": 5, "quality": "720p", "credits": 30},
        {"duration": 5, "quality": "1080p", "credits": 51},
    ]


def test_admin_refuses_default_duration_outside_durations(superuser_client):
    model = AIModel.objects.get(pk="wan-2-6")

    response = superuser_client.post(
        "/admin/modelconfig/aimodel/wan-2-6/change/",
        _change_form(model, default_duration="7"),
    )

    assert response.status_code == 200
    assert b"Must be one of the durations." in response.content
    assert AIModel.objects.get(pk="wan-2-6").default_duration == 5
