from __future__ import annotations

from rest_framework import authentication
from rest_framework.request import Request


class SessionAuthentication(authentication.SessionAuthentication):
    """Django sessions, answering 401 (not 403) when there is no valid session.

    Cross-site request protection is ``ApiRequestGuardMiddleware``'s job for every
    unsafe /api/ request, signed in or not, so DRF's token-only CSRF check is off.
    """

    def enforce_csrf(self, request: Request) -> None:
        return None

    def authenticate_header(self, request: Request) -> str:
        return 'Session realm="api"'
