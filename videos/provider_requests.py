"""What Kensa says to a provider about a video, and how a provider's refusal reads to users."""

from __future__ import annotations

from modelconfig.selectors import model_makes_sound
from videos.callbacks import callback_url
from videos.models import Video
from videos.providers.base import GenerationRequest


def generation_request(video: Video) -> GenerationRequest:
    return GenerationRequest(
        reference=str(video.uuid),
        provider_model=video.provider_model,
        prompt=video.prompt,
        duration=video.duration,
        aspect_ratio=video.aspect_ratio,
        quality=video.quality,
        start_image_url=video.start_image_url or None,
        callback_url=callback_url(video.provider, str(video.uuid)),
        with_audio=model_makes_sound(video.model),
    )


def provider_failure_message(text: str) -> str:
    message = text.strip() or "The provider refused the request."
    return message if message.endswith(".") else f"{message}."
