"""Sessions and their users, read from the cache on most requests (README "Performance").

Three pieces, each falling back to PostgreSQL when the cache is unreachable:

- ``SessionStore``: Django's ``cached_db`` store (every write goes to the database, reads
  come from the cache), which answers from the database instead of failing when Redis
  is down, and keeps a cached copy at most ``SESSION_CACHE_SECONDS``: a logout whose
  cache delete could not reach Redis is healed by then even if that Redis comes back
  still holding the session.
- ``CachedUserAuthenticationMiddleware``: Django's, whose ``request.user`` comes from a
  cached copy of the user row, checked against the session's auth hash exactly as
  ``django.contrib.auth.get_user`` checks it. Saving or deleting a user forgets the copy
  (at once and again after the commit, so a reader racing the transaction cannot put the
  old row back for longer than that moment).
- ``SessionActivityMiddleware``: allauth's per-session "last seen", written at most once
  per ``USERSESSIONS_ACTIVITY_SECONDS`` instead of on every request; a process that has
  seen the session within the period does not even ask the cache.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.backends import cached_db
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

logger = logging.getLogger(__name__)

USER_KEY_PREFIX = "kensa.session-user:"
ACTIVITY_KEY_PREFIX = "kensa.session-seen:"
# The activity tracker's clock (a test moves it past the period).
_clock = time.monotonic


def _cache_seconds() -> int:
    return settings.SESSION_CACHE_SECONDS


class SessionStore(cached_db.SessionStore):
    """``cached_db`` that survives the cache being down (reads and writes go to the database)."""

    def _cached_data(self) -> tuple[dict | None, bool]:
        """The cached session and whether the cache answered at all."""
        try:
            return self._cache.get(self.cache_key), True
        except Exception:
            logger.warning("session cache unreachable; reading the session from the database")
            return None, False

    def _cache_ttl(self, expiry_age: int) -> int:
        return max(0, min(expiry_age, _cache_seconds()))

    def load(self) -> dict:
        data, cache_up = self._cached_data()
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        if cache_up:
            try:
                ttl = self._cache_ttl(self.get_expiry_age(expiry=stored.expire_date))
                self._cache.set(self.cache_key, data, ttl)
            except Exception:
                logger.warning("session cache unreachable; not caching the session")
        return data

    def exists(self, session_key: str | None) -> bool:
        if not session_key:
            return False
        try:
            if (self.cache_key_prefix + session_key) in self._cache:
                return True
        except Exception:
            logger.warning("session cache unreachable; asking the database")
        return super(cached_db.SessionStore, self).exists(session_key)

    def save(self, must_create: bool = False) -> None:
        # The database first (cached_db's parent), then the cache with the shorter lifetime.
        super(cached_db.SessionStore, self).save(must_create)
        try:
            self._cache.set(self.cache_key, self._session, self._cache_ttl(self.get_expiry_age()))
        except Exception:
            logger.warning("session cache unreachable; the session is saved in the database only")

    def delete(self, session_key: str | None = None) -> None:
        super(cached_db.SessionStore, self).delete(session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        try:
            self._cache.delete(self.cache_key_prefix + session_key)
        except Exception:
            # The row is gone, so no process that misses the cache will find the session;
            # a copy left in an unreachable Redis expires within SESSION_CACHE_SECONDS.
            logger.warning("session cache unreachable; its copy of the ended session expires on its own")

    async def aload(self) -> dict:
        try:
            data = await self._cache.aget(await self.acache_key())
            cache_up = True
        except Exception:
            data, cache_up = None, False
        if data is not None:
            return data
        stored = await self._aget_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        if cache_up:
            try:
                ttl = self._cache_ttl(await self.aget_expiry_age(expiry=stored.expire_date))
                await self._cache.aset(await self.acache_key(), data, ttl)
            except Exception:
                logger.warning("session cache unreachable; not caching the session")
        return data

    async def aexists(self, session_key: str | None) -> bool:
        if not session_key:
            return False
        try:
            if await self._cache.ahas_key(self.cache_key_prefix + session_key):
                return True
        except Exception:
            logger.warning("session cache unreachable; asking the database")
        return await super(cached_db.SessionStore, self).aexists(session_key)

    async def asave(self, must_create: bool = False) -> None:
        await super(cached_db.SessionStore, self).asave(must_create)
        try:
            ttl = self._cache_ttl(await self.aget_expiry_age())
            await self._cache.aset(await self.acache_key(), self._session, ttl)
        except Exception:
            logger.warning("session cache unreachable; the session is saved in the database only")

    async def adelete(self, session_key: str | None = None) -> None:
        await super(cached_db.SessionStore, self).adelete(session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        try:
            await self._cache.adelete(self.cache_key_prefix + session_key)
        except Exception:
            logger.warning("session cache unreachable; its copy of the ended session expires on its own")


# --- the signed-in user ----------------------------------------------------------------


def _user_cache():
    return caches[settings.SESSION_CACHE_ALIAS]


def _user_key(user_id: Any) -> str:
    return f"{USER_KEY_PREFIX}{user_id}"


def forget_user(user_id: Any) -> None:
    try:
        _user_cache().delete(_user_key(user_id))
    except Exception:
        logger.warning("session cache unreachable; a cached user copy expires on its own")


def _forget_saved_user(sender: type, instance: Any, **kwargs: Any) -> None:
    forget_user(instance.pk)
    if transaction.get_connection().in_atomic_block:
        # Again after the commit: a request that read the old row meanwhile may have cached it.
        transaction.on_commit(lambda: forget_user(instance.pk), robust=True)


post_save.connect(_forget_saved_user, sender=settings.AUTH_USER_MODEL, dispatch_uid="kensa.sessions.save")
post_delete.connect(_forget_saved_user, sender=settings.AUTH_USER_MODEL, dispatch_uid="kensa.sessions.delete")


def _remember_login(sender: type, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Signing in just read the user: the first requests after it need not read it again."""
    if _cache_seconds() <= 0:
        return
    try:
        _user_cache().set(_user_key(user.pk), user, _cache_seconds())
    except Exception:
        logger.warning("session cache unreachable; the signed-in user is read from the database")


user_logged_in.connect(_remember_login, dispatch_uid="kensa.sessions.login")


def _session_hash_matches(request: HttpRequest, user: Any) -> bool:
    session_hash = request.session.get(HASH_SESSION_KEY)
    return bool(session_hash) and constant_time_compare(session_hash, user.get_session_auth_hash())


def cached_session_user(request: HttpRequest) -> Any:
    """``django.contrib.auth.get_user``, with the user row from the cache when it is there.

    Anything unusual (no session user, an unknown backend, a hash that does not match the
    cached row, e.g. one signed with a fallback secret) takes Django's own path, which
    reads the database and flushes a session that no longer verifies.
    """
    try:
        user_id = request.session[SESSION_KEY]
        backend_path = request.session[BACKEND_SESSION_KEY]
    except KeyError:
        return AnonymousUser()
    if backend_path not in settings.AUTHENTICATION_BACKENDS or _cache_seconds() <= 0:
        return auth.get_user(request)
    cache = _user_cache()
    try:
        user = cache.get(_user_key(user_id))
        cache_up = True
    except Exception:
        user, cache_up = None, False
    if user is not None and str(user.pk) == str(user_id) and _session_hash_matches(request, user):
        return user
    user = auth.get_user(request)
    if cache_up and user.is_authenticated:
        try:
            cache.set(_user_key(user.pk), user, _cache_seconds())
        except Exception:
            logger.warning("session cache unreachable; not caching the user")
    return user


class CachedUserAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's ``AuthenticationMiddleware`` with ``request.user`` from ``cached_session_user``."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)

        def user() -> Any:
            if not hasattr(request, "_cached_user"):
                request._cached_user = cached_session_user(request)
            return request._cached_user

        request.user = SimpleLazyObject(user)


class SessionActivityMiddleware:
    """allauth's "last seen" of a signed-in session, at most once per USERSESSIONS_ACTIVITY_SECONDS.

    allauth's own tracking (``USERSESSIONS_TRACK_ACTIVITY``) writes the session's row on
    every request; here a cache key per session (``add``: set only when absent) lets one
    request in each period through. With the cache down nothing is tracked: the session
    list shows an older time rather than PostgreSQL taking a write per request.
    """

    # Sessions this process saw tracked, and until when (its clock): most requests of a
    # signed-in session end here, with no cache round trip. Bounded: emptied when full.
    _tracked_until: dict[str, float] = {}
    _TRACKED_MAX = 10_000

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self._track(request)
        return self.get_response(request)

    @classmethod
    def _seen_recently(cls, session_key: str, period: int) -> bool:
        now = _clock()
        if cls._tracked_until.get(session_key, 0.0) > now:
            return True
        if len(cls._tracked_until) >= cls._TRACKED_MAX:
            cls._tracked_until.clear()
        cls._tracked_until[session_key] = now + period
        return False

    def _track(self, request: HttpRequest) -> None:
        period = settings.USERSESSIONS_ACTIVITY_SECONDS
        session = getattr(request, "session", None)
        if period <= 0 or session is None or not session.session_key:
            return
        if SESSION_KEY not in session:  # cheap: no user lookup for anonymous sessions
            return
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return
        if self._seen_recently(session.session_key, period):
            return
        try:
            first = _user_cache().add(ACTIVITY_KEY_PREFIX + session.session_key, 1, period)
        except Exception:
            return
        if first:
            from allauth.usersessions.models import UserSession

            UserSession.objects.create_from_request(request, user=user, session=session)
