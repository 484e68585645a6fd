from django.urls import path

from credits.api.views import StaffCreditAdjustView

urlpatterns = [
    path("adjust", StaffCreditAdjustView.as_view(), name="staff-credits-adjust"),
]
