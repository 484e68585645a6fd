"""Kensa settings: everything comes from the environment (see .env.example).

With nothing set, the project runs on embedded defaults: SQLite, a local media
folder, an in-process cache and the demo provider. Production (DJANGO_DEBUG=false)
refuses to start without DJANGO_SECRET_KEY and AI_CALLBACK_SECRET.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if env.bool("KENSA_READ_ENV_FILE", default=True) and (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
AI_CALLBACK_SECRET = env.str("AI_CALLBACK_SECRET", default="")
if not DEBUG:
    missing = [
        n for n, v in [("DJANGO_SECRET_KEY", SECRET_KEY), ("AI_CALLBACK_SECRET", AI_CALLBACK_SECRET)] if not v
    ]
    if missing:
        raise ImproperlyConfigured(f"{' and '.join(missing)} must be set when DJANGO_DEBUG is false.")
SECRET_KEY = SECRET_KEY or "django-insecure-kensa-local-development-only"
AI_CALLBACK_SECRET = AI_CALLBACK_SECRET or "kensa-local-development-callback-secret"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks_db",
    "kensa",
    "accounts",
    # After accounts: its templates (the emails in Kensa's voice) override allauth's.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.usersessions",
    "modelconfig",
    "credits",
    "videos",
    "webhooks",
    "studio",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "kensa.api.middleware.ApiRequestGuardMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, with the signed-in user read from the cache (kensa.sessions; README "Performance").
    "kensa.sessions.CachedUserAuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Records each signed-in session's device, address and last activity (GET /auth/sessions).
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kensa.urls"
WSGI_APPLICATION = "kensa.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Project-wide overrides (the admin's base_site.html) win over the apps' templates.
        "DIRS": [BASE_DIR / "kensa" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded quick start runs a server and a worker against one file.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="kensa"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
# Absolute base for links to stored files when MEDIA_URL is a path (the local folder).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="")

STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="local")
if STORAGE_BACKEND == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "access_key": env.str("AWS_ACCESS_KEY_ID", default=None),
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default=None),
            "custom_domain": env.str("AWS_S3_CUSTOM_DOMAIN", default=None),
            "querystring_auth": env.bool("AWS_QUERYSTRING_AUTH", default=True),
            "file_overwrite": False,
        },
    }
elif STORAGE_BACKEND == "local":
    _default_storage = {"BACKEND": "kensa.storage.MediaStorage"}
else:
    raise ImproperlyConfigured("STORAGE_BACKEND must be 'local' or 's3'.")
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Django serving MEDIA_URL is for development: in production (DEBUG off) a reverse proxy
# or the bucket serves media, unless SERVE_MEDIA=true says otherwise explicitly.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=DEBUG and STORAGE_BACKEND == "local")

# Background work: django.tasks with the database backend by default; "rq" scales out
# over Redis (workers started with `manage.py rqworker`).
TASKS_BACKEND = env.str("TASKS_BACKEND", default="database")
if TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
elif TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": env.str("RQ_REDIS_URL", default=REDIS_URL)}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
elif TASKS_BACKEND == "dummy":
    TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
else:
    raise ImproperlyConfigured("TASKS_BACKEND must be database, rq, immediate or dummy.")

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["kensa.api.renderers.EnvelopeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["kensa.api.parsers.SafeJSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["kensa.api.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "kensa.api.exceptions.envelope_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_SCHEMA_CLASS": "kensa.api.schema.EnvelopeAutoSchema",
}

# The OpenAPI description at /api/v1/schema and its Swagger UI at /api/v1/docs, both
# public; the UI's assets come from drf-spectacular-sidecar (served here, no CDN).
SPECTACULAR_SETTINGS = {
    "TITLE": "Kensa API",
    "DESCRIPTION": (
        "AI video generation: sign in, spend credits, generate videos, poll them.\n\n"
        'Every response under `/api/` is an envelope: `{"success": true, "data": ...}` or '
        '`{"success": false, "error": "...", "code": "...", "fields"?: {...}}`. '
        "Authentication is the Django session cookie set by `POST /api/v1/auth/login`."
    ),
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The error envelope's ``"success": false`` (postprocessing names every enum).
    "ENUM_NAME_OVERRIDES": {"SuccessFalseEnum": [(False, False)]},
}

# Sessions and cookies. The session cookie is SameSite=Lax; the CSRF cookie is
# readable by the front end (it sends it back as X-CSRFToken).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Container health checks and load balancers probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

# AI providers.
AI_CALLBACK_URL = env.str("AI_CALLBACK_URL", default="")
CALLBACK_MAX_AGE = env.int("CALLBACK_MAX_AGE", default=48 * 3600)
# Days raw deliveries (callbacks, payment events) are kept; rejected ones go after a day.
WEBHOOK_RETENTION_DAYS = env.int("WEBHOOK_RETENTION_DAYS", default=30)
EVOLINK_API_KEY = env.str("EVOLINK_API_KEY", default="")
EVOLINK_BASE_URL = env.str("EVOLINK_BASE_URL", default="https://api.evolink.ai")
KIE_API_KEY = env.str("KIE_API_KEY", default="")
KIE_BASE_URL = env.str("KIE_BASE_URL", default="https://api.kie.ai")
KIE_WEBHOOK_HMAC_KEY = env.str("KIE_WEBHOOK_HMAC_KEY", default="")
_default_provider = "evolink" if EVOLINK_API_KEY else "kie" if KIE_API_KEY else "demo"
DEFAULT_AI_PROVIDER = env.str("DEFAULT_AI_PROVIDER", default=_default_provider)
PROVIDER_HTTP_TIMEOUT = env.float("PROVIDER_HTTP_TIMEOUT", default=10.0)
PROVIDER_SUBMIT_ATTEMPTS = env.int("PROVIDER_SUBMIT_ATTEMPTS", default=5)
# Retries back off exponentially from this many seconds (capped at 5 minutes).
PROVIDER_RETRY_BASE_DELAY = env.float("PROVIDER_RETRY_BASE_DELAY", default=5.0)
UPLOAD_ATTEMPTS = env.int("UPLOAD_ATTEMPTS", default=3)
UPLOAD_LEASE_SECONDS = env.int("UPLOAD_LEASE_SECONDS", default=900)
GENERATION_TIMEOUT = env.int("GENERATION_TIMEOUT", default=2 * 3600)
# A video that heard nothing from its provider for this long gets a status refresh.
VIDEO_QUIET_AFTER = env.int("VIDEO_QUIET_AFTER", default=60)
VIDEO_MAX_BYTES = env.int("VIDEO_MAX_BYTES", default=500 * 1024 * 1024)
REMOTE_ASSET_ALLOW_PRIVATE = env.bool("REMOTE_ASSET_ALLOW_PRIVATE", default=False)
# Whole-download time limit for copying a result (a slow drip still ends).
VIDEO_DOWNLOAD_TIMEOUT = env.float("VIDEO_DOWNLOAD_TIMEOUT", default=600.0)

# Credits.
NEW_USER_CREDITS = env.int("NEW_USER_CREDITS", default=2)
NEW_USER_CREDITS_DAYS = env.int("NEW_USER_CREDITS_DAYS", default=30)

# Rate limits (django-ratelimit syntax) on the shared cache.
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
RATELIMIT_GENERATE_USER = env.str("RATELIMIT_GENERATE_USER", default="5/m")
RATELIMIT_GENERATE_IP = env.str("RATELIMIT_GENERATE_IP", default="20/m")
RATELIMIT_READ_USER = env.str("RATELIMIT_READ_USER", default="120/m")
RATELIMIT_AUTH_IP = env.str("RATELIMIT_AUTH_IP", default="10/m")
RATELIMIT_LOGIN_EMAIL = env.str("RATELIMIT_LOGIN_EMAIL", default="5/m")
RATELIMIT_CALLBACK_IP = env.str("RATELIMIT_CALLBACK_IP", default="600/m")
# Reverse proxies in front of the app that append to X-Forwarded-For (0: use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# HSTS preloading is hard to undo: opt in with SECURE_HSTS_PRELOAD=true once sure.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
if not REDIS_URL:
    # The embedded quick start is one process; production points REDIS_URL at Redis.
    SILENCED_SYSTEM_CHECKS += ["django_ratelimit.E003", "django_ratelimit.W001"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_error_without_traceback": {"()": "kensa.log_filters.ClientErrorWithoutTraceback"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        # Django's default config gives "django" a console handler of its own (when DEBUG);
        # with the root's, every line printed twice. One handler: the root's.
        "django": {"handlers": [], "propagate": True},
        "django.request": {"filters": ["client_error_without_traceback"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Billing (docs/api.md: Billing): demo when no provider key is set. Production refuses to start with
# stripe or creem selected but not configured: their events could not be verified.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
CREEM_API_KEY = env.str("CREEM_API_KEY", default="")
CREEM_WEBHOOK_SECRET = env.str("CREEM_WEBHOOK_SECRET", default="")
_creem_test = CREEM_API_KEY.startswith("creem_test_")
CREEM_API_BASE = env.str(
    "CREEM_API_BASE", default="https://test-api.creem.io" if _creem_test else "https://api.creem.io"
)
_billing_provider = env.str("BILLING_PROVIDER", default="")
_default_billing = "stripe" if STRIPE_SECRET_KEY else "creem" if CREEM_API_KEY else "demo"
BILLING_PROVIDER = _billing_provider or _default_billing
if BILLING_PROVIDER not in ("demo", "stripe", "creem"):
    raise ImproperlyConfigured("BILLING_PROVIDER must be demo, stripe or creem.")
# The demo's Pay button grants credits for free: on in debug mode, or when chosen explicitly.
BILLING_DEMO_PAYMENTS = DEBUG or _billing_provider == "demo"
if not DEBUG:
    _billing_missing = {
        "stripe": [
            ("STRIPE_SECRET_KEY", STRIPE_SECRET_KEY),
            ("STRIPE_WEBHOOK_SECRET", STRIPE_WEBHOOK_SECRET),
        ],
        "creem": [("CREEM_API_KEY", CREEM_API_KEY), ("CREEM_WEBHOOK_SECRET", CREEM_WEBHOOK_SECRET)],
    }.get(BILLING_PROVIDER, [])
    if _billing_unset := [name for name, value in _billing_missing if not value]:
        raise ImproperlyConfigured(
            f"{' and '.join(_billing_unset)} must be set when BILLING_PROVIDER={BILLING_PROVIDER} "
            "and DJANGO_DEBUG is false."
        )
# Where the provider sends the buyer after paying or giving up; empty = this site's home page.
BILLING_SUCCESS_URL = env.str("BILLING_SUCCESS_URL", default="")
BILLING_CANCEL_URL = env.str("BILLING_CANCEL_URL", default="")

# Notifications (docs/api.md: Notifications): the event outbox, users' webhook endpoints, the live stream.
# Deliveries run on their own task queue ("webhooks", its own worker: db_worker
# --queue-name webhooks), so a slow endpoint never holds up the video pipeline.
for _backend in TASKS.values():
    _backend["QUEUES"] = [*_backend.get("QUEUES", ["default"]), "webhooks"]
WEBHOOKS_MAX_ENDPOINTS = env.int("WEBHOOKS_MAX_ENDPOINTS", default=10)
WEBHOOKS_ALLOW_HTTP = env.bool("WEBHOOKS_ALLOW_HTTP", default=False)
WEBHOOKS_TIMEOUT = env.float("WEBHOOKS_TIMEOUT", default=10.0)
# Seconds before each retry of a failed delivery; after the last one the delivery fails.
WEBHOOKS_RETRY_SCHEDULE = env.list(
    "WEBHOOKS_RETRY_SCHEDULE", cast=float, default=[5, 300, 1800, 7200, 18000, 36000, 36000]
)
WEBHOOKS_DISABLE_AFTER_DAYS = env.float("WEBHOOKS_DISABLE_AFTER_DAYS", default=5)
# Deliveries to one endpoint in flight at once (across all workers).
WEBHOOKS_ENDPOINT_CONCURRENCY = env.int("WEBHOOKS_ENDPOINT_CONCURRENCY", default=2)
EVENTS_RETENTION_HOURS = env.int("EVENTS_RETENTION_HOURS", default=24)
EVENTS_STREAM_SECONDS = env.int("EVENTS_STREAM_SECONDS", default=300)
EVENTS_HEARTBEAT_SECONDS = env.float("EVENTS_HEARTBEAT_SECONDS", default=15.0)

# Accounts (django-allauth): email verification, password reset, social sign-in, sessions.
# Mail: EMAIL_URL (smtp+tls://user:pass@host:587, smtp+ssl://..., consolemail://) or the
# EMAIL_HOST/PORT/... variables; with neither, printed to the log in debug mode (bin/run),
# else handed to an MTA on localhost:25.
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    _mail = env.email_url_config(EMAIL_URL)
else:
    _mail_host = env.str("EMAIL_HOST", default="")
    _mail = {
        # Production with no mail server named: the local MTA, as Django's default.
        "EMAIL_HOST": _mail_host or "localhost",
        "EMAIL_PORT": env.int("EMAIL_PORT", default=587 if _mail_host else 25),
        "EMAIL_HOST_USER": env.str("EMAIL_HOST_USER", default=""),
        "EMAIL_HOST_PASSWORD": env.str("EMAIL_HOST_PASSWORD", default=""),
        "EMAIL_USE_TLS": env.bool("EMAIL_USE_TLS", default=bool(_mail_host)),
        # In debug mode with no mail server, messages are printed (bin/run shows the links).
        "EMAIL_BACKEND": "django.core.mail.backends."
        + ("console.EmailBackend" if DEBUG and not _mail_host else "smtp.EmailBackend"),
    }
_smtp_options = {
    "host": _mail.get("EMAIL_HOST"),
    "port": _mail.get("EMAIL_PORT"),
    "username": _mail.get("EMAIL_HOST_USER"),
    "password": _mail.get("EMAIL_HOST_PASSWORD"),
    "use_tls": _mail.get("EMAIL_USE_TLS", False),
    "use_ssl": _mail.get("EMAIL_USE_SSL", False),
    "timeout": env.int("EMAIL_TIMEOUT", default=10),
}
MAILERS = {
    "default": {
        "BACKEND": _mail["EMAIL_BACKEND"],
        "OPTIONS": _smtp_options if _mail["EMAIL_BACKEND"].endswith("smtp.EmailBackend") else {},
    }
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Kensa <no-reply@kensa.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# none | optional | mandatory. With mandatory, signing in waits for the emailed link and the
# new-user credits are granted on verification (once per address, ever).
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional")
if ACCOUNT_EMAIL_VERIFICATION not in ("none", "optional", "mandatory"):
    raise ImproperlyConfigured("ACCOUNT_EMAIL_VERIFICATION must be none, optional or mandatory.")
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Kensa: "
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = env.int("ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS", default=3)
# Seconds a password-reset link stays valid (Django's token; a used link is dead at once).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
# The API's own limits (RATELIMIT_ACCOUNT_*) guard the API; allauth's guard its pages.
ACCOUNT_RATE_LIMITS = {"confirm_email": None}
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
# Performance: allauth's tracking writes the session's row on every signed-in request;
# kensa.sessions.SessionActivityMiddleware records "last seen" at most once per
# USERSESSIONS_ACTIVITY_SECONDS instead (see the Performance block below).
USERSESSIONS_TRACK_ACTIVITY = False
# Social sign-in: an address the provider has verified signs in to (connects) the account
# that has it, instead of creating a second one.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_QUERY_EMAIL = True
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = env.int("SOCIALACCOUNT_REQUESTS_TIMEOUT", default=10)
SOCIALACCOUNT_PROVIDERS: dict = {}
_google = (env.str("GOOGLE_CLIENT_ID", default=""), env.str("GOOGLE_CLIENT_SECRET", default=""))
if all(_google):
    SOCIALACCOUNT_PROVIDERS["google"] = {
        "APPS": [{"client_id": _google[0], "secret": _google[1]}],
        "SCOPE": ["openid", "profile", "email"],
        "OAUTH_PKCE_ENABLED": True,
    }
_github = (env.str("GITHUB_CLIENT_ID", default=""), env.str("GITHUB_CLIENT_SECRET", default=""))
if all(_github):
    SOCIALACCOUNT_PROVIDERS["github"] = {
        "APPS": [{"client_id": _github[0], "secret": _github[1]}],
        "SCOPE": ["read:user", "user:email"],
    }
_oidc_server = env.str("OIDC_SERVER_URL", default="")
if _oidc_server:
    SOCIALACCOUNT_PROVIDERS["openid_connect"] = {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": env.str("OIDC_PROVIDER_ID", default="oidc"),
                "name": env.str("OIDC_PROVIDER_NAME", default="Single sign-on"),
                "client_id": env.str("OIDC_CLIENT_ID"),
                "secret": env.str("OIDC_CLIENT_SECRET", default=""),
                "settings": {"server_url": _oidc_server},
            }
        ],
    }
# Password reset and verification requests (each sends an email), per client address and
# per address asked about.
RATELIMIT_ACCOUNT_EMAIL_IP = env.str("RATELIMIT_ACCOUNT_EMAIL_IP", default="10/h")
RATELIMIT_ACCOUNT_EMAIL_ADDRESS = env.str("RATELIMIT_ACCOUNT_EMAIL_ADDRESS", default="3/h")

# Studio: the pages people use (studio/). Each page sends the studio's Content-Security-Policy
# (studio.csp: scripts from this site only); SECURE_CSP stays empty, so other pages (the
# admin, Swagger UI with its inline script) are unchanged.
MIDDLEWARE += ["django.middleware.csp.ContentSecurityPolicyMiddleware"]

# Metrics and scale-out (README "Growing past one machine" and "Reliability").
if TASKS_BACKEND == "rq":
    # Every django.tasks queue (the webhooks one too) is an RQ queue on the same Redis.
    RQ_QUEUES = {name: {"URL": RQ_QUEUES["default"]["URL"]} for name in TASKS["default"]["QUEUES"]}
if STORAGE_BACKEND == "s3":
    from boto3.s3.transfer import TransferConfig

    _upload = TransferConfig(
        multipart_threshold=8 * 1024 * 1024,
        multipart_chunksize=8 * 1024 * 1024,
        max_concurrency=env.int("AWS_S3_UPLOAD_CONCURRENCY", default=2),
    )
    # Parts held in memory per copy: as many as go up at once (s3transfer's default of 10
    # read ahead is 80 MiB per copy; measured: a 200 MB result grows a worker by ~35 MB).
    _upload.max_in_memory_upload_chunks = _upload.max_request_concurrency
    _default_storage["OPTIONS"].update(
        # Seconds a presigned videoUrl stays valid (with AWS_QUERYSTRING_AUTH, the default).
        querystring_expire=env.int("AWS_QUERYSTRING_EXPIRE", default=3600),
        # Signature V4 links (X-Amz-Expires): what AWS, R2 and MinIO all accept.
        signature_version="s3v4",
        # Results go up in 8 MiB parts, two at a time: memory stays bounded whatever the
        # size of the video.
        transfer_config=_upload,
    )
# GET /metrics (Prometheus): allowed with "Authorization: Bearer <METRICS_TOKEN>", or from
# an internal address (loopback, private networks) when METRICS_ALLOW_INTERNAL is on.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOW_INTERNAL = env.bool("METRICS_ALLOW_INTERNAL", default=True)
# Prometheus scrapes over the internal network, in plain HTTP.
SECURE_REDIRECT_EXEMPT += [r"^metrics$"]
# Seconds one kensa_scheduler holds the lease on the periodic jobs; another started next to
# it runs nothing until the holder stops renewing it for this long.
SCHEDULER_LEASE_SECONDS = env.int("SCHEDULER_LEASE_SECONDS", default=90)
# "json": one JSON object per log line (for log shippers); "plain" otherwise.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be plain or json.")
LOGGING["formatters"]["json"] = {"()": "kensa.log_format.JsonFormatter"}
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT
# First: it times the whole request, the other middleware included.
MIDDLEWARE.insert(0, "kensa.metrics.RequestMetricsMiddleware")

# Performance (README "Performance").
# Sessions are written to PostgreSQL and read from Redis (kensa.sessions: falls back to the
# database while Redis is down); the signed-in user is cached per user id, forgotten when
# the user is saved. A cached copy lives at most this many seconds, which bounds how long a
# logout or password change made while Redis was unreachable can be missed by a Redis
# that comes back still holding the copy. 0 turns both caches off. Without REDIS_URL the
# cache is per process, so neither is used.
SESSION_CACHE_SECONDS = env.int("SESSION_CACHE_SECONDS", default=300) if REDIS_URL else 0
if REDIS_URL:
    # Django's Redis cache, reusing its redis-py client (kensa.cache: the profile's top item).
    CACHES["default"]["BACKEND"] = "kensa.cache.RedisCache"
if SESSION_CACHE_SECONDS > 0:
    SESSION_ENGINE = "kensa.sessions"
# allauth's "last seen" of a session, recorded at most once per this many seconds (0: never).
USERSESSIONS_ACTIVITY_SECONDS = env.int("USERSESSIONS_ACTIVITY_SECONDS", default=300)
MIDDLEWARE.insert(
    MIDDLEWARE.index("allauth.usersessions.middleware.UserSessionsMiddleware") + 1,
    "kensa.sessions.SessionActivityMiddleware",
)
# A pool of PostgreSQL connections per process (Django's psycopg pool) instead of one
# persistent connection per thread; 0 keeps persistent connections (DATABASE_CONN_MAX_AGE).
DATABASE_POOL_MAX_SIZE = env.int("DATABASE_POOL_MAX_SIZE", default=0)
if DATABASE_POOL_MAX_SIZE and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django refuses a pool with persistent connections
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_MAX_SIZE,
        "timeout": 10,
    }
# The benchmark's floors (bench/run.py, kensa/api/bench.py): GET /api/v1/bench/floor, a plain
# view behind every middleware, and GET /api/v1/bench/server, answered before any middleware;
# neither touches the database or a session. Off (404) unless asked for.
BENCH_FLOOR_ENDPOINT = env.bool("BENCH_FLOOR_ENDPOINT", default=False)
if BENCH_FLOOR_ENDPOINT:
    MIDDLEWARE.insert(0, "kensa.api.bench.ServerFloorMiddleware")
