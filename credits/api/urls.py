from django.urls import path

from credits.api.views import CreditHistoryView

urlpatterns = [
    path("history", CreditHistoryView.as_view(), name="credit-history"),
]
