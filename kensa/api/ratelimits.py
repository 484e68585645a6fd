"""Rate limits with django-ratelimit on the shared cache.

Views declare their rules per action (``ratelimit_rules``); ``RateLimitedMixin``
checks them after authentication, answers 429 with ``Retry-After`` when one is
exceeded, and reports the tightest rule in ``X-RateLimit-*`` headers (on the 429 too).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django_ratelimit.core import get_usage
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.response import Response

from kensa.errors import DomainError

logger = logging.getLogger(__name__)

KeyFunc = Callable[[str, Request], str | None]


def client_ip(group: str, request: Any) -> str:
    """The client's address; behind N trusted proxies, the Nth X-Forwarded-For hop from the right."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def user_key(group: str, request: Any) -> str | None:
    user = getattr(request, "user", None)
    return str(user.pk) if user is not None and user.is_authenticated else None


def _login_name(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    # The key is hashed as UTF-8: a lone surrogate must not reach it.
    return value.strip().lower()[:254].encode("utf-8", "backslashreplace").decode()


def email_key(group: str, request: Any) -> str | None:
    data = getattr(request, "data", None)
    return _login_name(data.get("email") if isinstance(data, dict) else None)


def admin_username_key(group: str, request: Any) -> str | None:
    """The admin login form's username (an email here), normalised as ``email_key`` does:
    both doors count against one allowance per account."""
    return _login_name(request.POST.get("username"))


@dataclass(frozen=True)
class Rule:
    group: str
    key: KeyFunc
    rate_setting: str  # name of the setting holding the rate, e.g. "RATELIMIT_READ_USER"
    # When the shared cache is unreachable: serve (True) or refuse with 503 (False).
    fail_open: bool = True

    @property
    def rate(self) -> str:
        return getattr(settings, self.rate_setting)


GENERATE_USER = Rule("generate-user", user_key, "RATELIMIT_GENERATE_USER")
GENERATE_IP = Rule("generate-ip", client_ip, "RATELIMIT_GENERATE_IP")
READ_USER = Rule("read-user", user_key, "RATELIMIT_READ_USER")
# Sign-up and login guard against password guessing and credit farming: without the
# cache to count attempts they refuse rather than go unguarded.
AUTH_IP = Rule("auth-ip", client_ip, "RATELIMIT_AUTH_IP", fail_open=False)
LOGIN_EMAIL = Rule("login-email", email_key, "RATELIMIT_LOGIN_EMAIL", fail_open=False)
CALLBACK_IP = Rule("callback-ip", client_ip, "RATELIMIT_CALLBACK_IP")
# The admin's login form: the same groups and rates as the API login, so guesses at one
# account (or from one address) are counted together whichever door they knock on.
ADMIN_LOGIN = (AUTH_IP, Rule("login-email", admin_username_key, "RATELIMIT_LOGIN_EMAIL", fail_open=False))


class RateLimitUnavailableError(DomainError):
    status_code = 503
    code = "rate_limit_unavailable"
    default_message = "Sign-in is temporarily unavailable; please try again in a minute."

    retry_after = 60


class RateLimitedError(DomainError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, retry_after: int, headers: dict[str, str] | None = None) -> None:
        self.retry_after = max(1, retry_after)
        # The refused request's X-RateLimit-* headers, like any other answer's.
        self.headers = headers or {}
        unit = "second" if self.retry_after == 1 else "seconds"
        super().__init__(f"Too many requests; try again in {self.retry_after} {unit}.")


def enforce(request: Request, rules: tuple[Rule, ...], *, count: bool = True) -> dict[str, str]:
    """Count this request against every rule; raise RateLimitedError if one is over.

    Returns the ``X-RateLimit-*`` headers of the rule with the fewest requests left.
    With ``count=False`` the allowance is only read: nothing is counted or refused.
    """
    if not settings.RATELIMIT_ENABLE or not rules:
        return {}
    tightest: tuple[int, int] | None = None
    exceeded: list[int] = []
    for rule in rules:
        if rule.key(rule.group, request) is None:
            continue
        try:
            usage = get_usage(request, group=rule.group, key=rule.key, rate=rule.rate, increment=count)
        except (RedisError, OSError):  # connection refused, timeouts, DNS
            logger.exception("rate limit cache unreachable (rule %s)", rule.group)
            if rule.fail_open or not count:
                continue
            raise RateLimitUnavailableError() from None
        if usage is None:
            continue
        remaining = max(0, usage["limit"] - usage["count"])
        if tightest is None or remaining < tightest[1]:
            tightest = (usage["limit"], remaining)
        if count and usage["should_limit"]:
            exceeded.append(math.ceil(usage["time_left"]))
    headers = {} if tightest is None else _limit_headers(*tightest)
    if exceeded:
        raise RateLimitedError(max(exceeded), headers)
    return headers


def _limit_headers(limit: int, remaining: int) -> dict[str, str]:
    return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining)}


class RateLimitedMixin:
    """For DRF views: ``ratelimit_rules = {"action_or_method": (RULE, ...), "*": (...)}``."""

    ratelimit_rules: dict[str, tuple[Rule, ...]] = {}

    def _rules_for(self, request: Request) -> tuple[Rule, ...]:
        action = getattr(self, "action", None) or request.method.lower()
        return self.ratelimit_rules.get(action, self.ratelimit_rules.get("*", ()))

    def does_no_work(self, request: Request) -> bool:
        """A request that only replays a stored answer: reported on, not counted or refused."""
        return False

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        rules = self._rules_for(request)
        replay = bool(rules) and settings.RATELIMIT_ENABLE and self.does_no_work(request)
        try:
            self._ratelimit_headers = enforce(request, rules, count=not replay)
        except RateLimitedError as refusal:
            self._ratelimit_headers = refusal.headers
            raise

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        for name, value in getattr(self, "_ratelimit_headers", {}).items():
            response[name] = value
        return response
