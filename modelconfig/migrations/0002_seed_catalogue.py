from django.db import migrations

CATALOGUE = [
    {
        "id": "sora-2",
        "name": "Sora 2",
        "description": "OpenAI's Sora 2: cinematic text-to-video and image-to-video.",
        "sort_order": 10,
        "supports_image_to_video": True,
        "durations": [10, 15],
        "default_duration": 10,
        "aspect_ratios": ["16:9", "9:16"],
        "qualities": ["720p"],
        "default_quality": "720p",
        "base_credits": "0",
        "credits_per_second": "0.2",
        "quality_multipliers": {},
        "provider_model_ids": {
            "evolink": {"text": "sora-2"},
            "kie": {"text": "sora-2-text-to-video", "image": "sora-2-image-to-video"},
            "demo": {"text": "sora-2"},
        },
    },
    {
        "id": "veo-3-1",
        "name": "Veo 3.1",
        "description": "Google's Veo 3.1 (fast): 8-second clips with sound.",
        "sort_order": 20,
        "supports_image_to_video": True,
        "durations": [8],
        "default_duration": 8,
        "aspect_ratios": ["16:9", "9:16"],
        "qualities": ["720p", "1080p"],
        "default_quality": "720p",
        "base_credits": "10",
        "credits_per_second": "0",
        "quality_multipliers": {},
        "provider_model_ids": {
            "evolink": {"text": "veo-3.1-fast"},
            "kie": {"text": "veo3_fast"},
            "demo": {"text": "veo-3-1"},
        },
    },
    {
        "id": "wan-2-6",
        "name": "Wan 2.6",
        "description": "Alibaba's Wan 2.6: text-to-video and image-to-video up to 1080p.",
        "sort_order": 30,
        "supports_image_to_video": True,
        "durations": [5, 10, 15],
        "default_duration": 5,
        "aspect_ratios": ["16:9", "9:16", "1:1", "4:3", "3:4"],
        "qualities": ["720p", "1080p"],
        "default_quality": "720p",
        "base_credits": "0",
        "credits_per_second": "5",
        "quality_multipliers": {"1080p": "1.67"},
        "provider_model_ids": {
            "evolink": {"text": "wan2.6-text-to-video", "image": "wan2.6-image-to-video"},
            "kie": {"text": "wan/2-6-text-to-video", "image": "wan/2-6-image-to-video"},
            "demo": {"text": "wan-2-6"},
        },
    },
    {
        "id": "seedance-1-5",
        "name": "Seedance 1.5 Pro",
        "description": "ByteDance's Seedance 1.5 Pro: 4 to 12 seconds, six aspect ratios.",
        "sort_order": 40,
        "supports_image_to_video": True,
        "durations": [4, 5, 6, 8, 10, 12],
        "default_duration": 5,
        "aspect_ratios": ["16:9", "9:16", "1:1", "4:3", "3:4", "21:9"],
        "qualities": ["480p", "720p", "1080p"],
        "default_quality": "720p",
        "base_credits": "0",
        "credits_per_second": "4",
        "quality_multipliers": {"1080p": "2"},
        "provider_model_ids": {
            "evolink": {"text": "seedance-1.5-pro"},
            "kie": {"text": "bytedance/seedance-1.5-pro"},
            "demo": {"text": "seedance-1-5"},
        },
    },
]


def seed(apps, schema_editor):
    AIModel = apps.get_model("modelconfig", "AIModel")
    for entry in CATALOGUE:
        values = dict(entry)
        AIModel.objects.update_or_create(id=values.pop("id"), defaults=values)


def unseed(apps, schema_editor):
    AIModel = apps.get_model("modelconfig", "AIModel")
    AIModel.objects.filter(id__in=[entry["id"] for entry in CATALOGUE]).delete()


class Migration(migrations.Migration):
    dependencies = [("modelconfig", "0001_catalogue")]

    operations = [migrations.RunPython(seed, unseed)]
