"""Filters for the LOGGING setting."""

from __future__ import annotations

import logging


class ClientErrorWithoutTraceback(logging.Filter):
    """A 4xx is the client's mistake or an expected refusal: one line, not a traceback.

    django.request attaches the exception to "Forbidden (Permission denied)" and bad-request
    warnings, so every refused admin page would otherwise print a stack; 5xx keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
