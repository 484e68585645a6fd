import os
import sys

from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kensa.settings")
try:
    application = get_asgi_application()
except ImproperlyConfigured as error:
    if settings.configured:
        raise  # settings loaded: a fault elsewhere, whose traceback helps
    # The settings refused the environment (e.g. a missing secret): one line, not a
    # traceback. Exit status 4 is gunicorn's "app failed to load" (it stops, not respawns).
    print(f"Kensa configuration error: {error}", file=sys.stderr)
    raise SystemExit(4) from None
