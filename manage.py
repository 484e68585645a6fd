#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kensa.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:
        if settings.configured:
            raise  # settings loaded: a fault elsewhere, whose traceback helps
        # The settings refused the environment (a missing secret, a bad value): the
        # operator's to fix, so one line saying what, not a traceback.
        sys.exit(f"Kensa configuration error: {error}")


if __name__ == "__main__":
    main()
