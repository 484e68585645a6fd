"""A user's signed-in sessions (allauth.usersessions records device, address, last seen)."""

from __future__ import annotations

import re

from allauth.usersessions.internal.flows.sessions import end_other_sessions
from allauth.usersessions.models import UserSession
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
            ("Safari/", "Safari"), ("curl/", "curl"))  # fmt: skip
SYSTEMS = (("iPhone", "iOS"), ("iPad", "iPadOS"), ("Android", "Android"), ("Windows", "Windows"),
           ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))  # fmt: skip


def device(user_agent: str) -> str:
    """A person-readable label ("Firefox on Linux") from a User-Agent header."""
    browser = next((name for token, name in BROWSERS if token in user_agent), "")
    system = next((name for token, name in SYSTEMS if token in user_agent), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or (re.split(r"[\s/]", user_agent, maxsplit=1)[0] or "Unknown device")


def sessions_of(user: AbstractBaseUser) -> list[UserSession]:
    """Live sessions, most recently active first (ended or expired ones are purged)."""
    return sorted(UserSession.objects.purge_and_list(user), key=lambda s: s.last_seen_at, reverse=True)


def revoke_others(request: HttpRequest) -> int:
    """End every session of the signed-in user but this one; how many ended."""
    others = UserSession.objects.filter(user_id=request.user.pk).exclude(
        session_key=request.session.session_key
    )
    count = others.count()
    end_other_sessions(request, request.user)
    return count
