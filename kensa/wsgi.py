import os
import sys

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kensa.settings")
try:
    application = get_wsgi_application()
except ImproperlyConfigured as error:
    if settings.configured:
        raise  # settings loaded: a fault elsewhere, whose traceback helps
    # The settings refused the environment (e.g. a missing secret): one line, not a
    # traceback. Exit status 4 is gunicorn's "app failed to load": it stops instead of
    # restarting the worker forever.
    print(f"Kensa configuration error: {error}", file=sys.stderr)
    raise SystemExit(4) from None
