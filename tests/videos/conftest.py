from __future__ import annotations

import pytest

from credits import services as credit_services


def give_credits(user, amount: int, order_no: str | None = None) -> None:
    credit_services.grant(
        user, amount, trans_type="ORDER_PAY", order_no=order_no or f"test-{user.pk}-{amount}", remark="test"
    )


@pytest.fixture
def funded_user(user):
    give_credits(user, 100)
    return user


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


GENERATE_BODY = {"prompt": "a red fox in the snow", "model": "sora-2", "duration": 10, "aspectRatio": "16:9"}
