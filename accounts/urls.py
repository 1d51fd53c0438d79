from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.verify, name="verify"),
    path("setup/", views.setup, name="setup"),
    path("recovery-codes/", views.new_recovery_codes, name="recovery_codes"),
]
