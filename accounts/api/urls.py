from django.urls import path

from accounts.api.views import AuthViewSet

auth = AuthViewSet.as_view

urlpatterns = [
    path("csrf", auth({"get": "csrf"}), name="auth-csrf"),
    path("signup", auth({"post": "signup"}), name="auth-signup"),
    path("login", auth({"post": "login"}), name="auth-login"),
    path("logout", auth({"post": "logout"}), name="auth-logout"),
    path("session", auth({"get": "session"}), name="auth-session"),
]
