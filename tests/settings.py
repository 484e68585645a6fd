"""Settings for the test suite: the real services (PostgreSQL, Redis) on this machine.

Each value can be overridden from the environment; a developer's .env is not read.
"""

import os
from pathlib import Path

os.environ["KENSA_READ_ENV_FILE"] = "false"
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kensa")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("DJANGO_SECRET_KEY", "kensa-test-secret-key-not-for-production-0123456789")
os.environ.setdefault("AI_CALLBACK_SECRET", "kensa-test-callback-secret")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("MEDIA_ROOT", str(Path(__file__).resolve().parent.parent / "var" / "test-media"))
os.environ.setdefault("CACHE_KEY_PREFIX", f"kensa-test-{os.getpid()}")
os.environ.setdefault("DEFAULT_AI_PROVIDER", "demo")
os.environ.setdefault("AI_CALLBACK_URL", "http://testserver")
# Background tasks run inline at enqueue (after commit); end-to-end tests start a real worker.
os.environ.setdefault("TASKS_BACKEND", "immediate")
os.environ.setdefault("PROVIDER_RETRY_BASE_DELAY", "0")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# The end-to-end tests download results from the live server, which has no proxy in front.
os.environ.setdefault("SERVE_MEDIA", "true")

from kensa.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
