"""Deleting an account: the person's data goes, the accounting stays (anonymised).

Removed: videos (rows and stored files), webhook endpoints and events, email addresses,
social connections, sessions, name and email. Kept: the user row itself, stripped of
everything personal and unable to sign in, so the ledger (credit packages, holds,
transactions) and billing orders still add up and point at one anonymous record. The
address leaves only its hash behind (accounts.WelcomedAddress), so signing up again with
it does not bring new free credits.
"""

from __future__ import annotations

import secrets

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from allauth.usersessions.models import UserSession
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.http import HttpRequest

from videos import storage as video_storage
from videos import transitions
from videos.models import ACTIVE_STATUSES, Video, VideoTally
from webhooks.endpoints import delete_endpoint
from webhooks.models import Event, WebhookEndpoint

DELETION_MESSAGE = "The account was deleted before the video finished."


def _finish_running_generations(user_id: int) -> None:
    # A running generation holds credits: fail it and release the hold (each under the
    # video's own lock, as every transition is) before the rows go.
    for video_uuid in Video.objects.filter(user_id=user_id, status__in=ACTIVE_STATUSES).values_list(
        "uuid", flat=True
    ):
        transitions.fail_video(str(video_uuid), DELETION_MESSAGE)


def delete_account(request: HttpRequest, user: AbstractUser) -> None:
    """Remove the person's data and sign them out (the password is checked by the caller)."""
    _finish_running_generations(user.pk)
    files: list[str] = []
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user.pk)
        # A generation accepted between the first pass and the lock ends here too.
        _finish_running_generations(user.pk)
        videos = Video.objects.filter(user_id=user.pk)
        for video_file, thumbnail_file in videos.values_list("video_file", "thumbnail_file"):
            files += [video_file, thumbnail_file]
        videos.delete()
        VideoTally.objects.filter(user_id=user.pk).delete()
        for endpoint in WebhookEndpoint.objects.filter(user_id=user.pk):
            delete_endpoint(endpoint)
        # Events carry prompts and video links: personal data, not accounting.
        Event.objects.filter(user_id=user.pk).delete()
        EmailAddress.objects.filter(user_id=user.pk).delete()
        SocialAccount.objects.filter(user_id=user.pk).delete()
        sessions = list(UserSession.objects.filter(user_id=user.pk))
        _anonymise(user)
        transaction.on_commit(lambda: video_storage.delete(*files))
    logout(request)
    for session in sessions:
        session.end()


def _anonymise(user: AbstractUser) -> None:
    user.username = f"deleted-{user.pk}-{secrets.token_hex(6)}"
    user.email = ""
    user.first_name = user.last_name = ""
    user.set_unusable_password()
    user.is_active = user.is_staff = user.is_superuser = False
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
