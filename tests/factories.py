from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

PASSWORD = "correct-horse-battery-staple"


def give_credits(user, amount: int, order_no: str | None = None) -> None:
    from credits import services

    services.grant(
        user, amount, trans_type="ORDER_PAY", order_no=order_no or f"test-{user.pk}-{amount}", remark="test"
    )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.SelfAttribute("username")
    first_name = factory.Faker("first_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class VideoFactory(factory.django.DjangoModelFactory):
    """A video row as the generation flow leaves it (no credit hold: use the API for that)."""

    class Meta:
        model = "videos.Video"

    user = factory.SubFactory(UserFactory)
    prompt = factory.Sequence(lambda n: f"prompt number {n}")
    model = "sora-2"
    duration = 10
    aspect_ratio = "16:9"
    quality = "720p"
    credits_used = 2
    provider = "demo"
    provider_model = "sora-2"
    status = "COMPLETED"
    credit_status = "CONSUMED"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        video = super()._create(model_class, *args, **kwargs)
        if video.deleted_at is None:
            from videos.transitions import count_visible

            count_visible(video.user_id, +1)  # as start_generation does
        return video


def too_many_requests(retry_after: int | str) -> str:
    """The 429's message for a ``Retry-After`` (the window may end within the second)."""
    seconds = int(retry_after)
    return f"Too many requests; try again in {seconds} {'second' if seconds == 1 else 'seconds'}."
