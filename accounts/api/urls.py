from django.urls import path

from accounts.api.account_views import PublicAccountViewSet, SignedInAccountViewSet
from accounts.api.views import AuthViewSet

auth = AuthViewSet.as_view
public = PublicAccountViewSet.as_view
signed_in = SignedInAccountViewSet.as_view

urlpatterns = [
    path("csrf", auth({"get": "csrf"}), name="auth-csrf"),
    path("signup", auth({"post": "signup"}), name="auth-signup"),
    path("login", auth({"post": "login"}), name="auth-login"),
    path("logout", auth({"post": "logout"}), name="auth-logout"),
    path("session", auth({"get": "session"}), name="auth-session"),
    path("password/reset", public({"post": "password_reset"}), name="auth-password-reset"),
    path(
        "password/reset/confirm",
        public({"post": "password_reset_confirm"}),
        name="auth-password-reset-confirm",
    ),
    path("password/change", signed_in({"post": "password_change"}), name="auth-password-change"),
    path("email/verify", public({"post": "email_verify"}), name="auth-email-verify"),
    path("email/resend", public({"post": "email_resend"}), name="auth-email-resend"),
    path("providers", public({"get": "providers"}), name="auth-providers"),
    path("sessions", signed_in({"get": "sessions"}), name="auth-sessions"),
    path("sessions/revoke-others", signed_in({"post": "revoke_others"}), name="auth-sessions-revoke-others"),
    path("account", signed_in({"delete": "delete_account"}), name="auth-account"),
]
