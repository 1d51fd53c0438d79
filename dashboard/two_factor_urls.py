from django.urls import path

from dashboard import two_factor_views as views

# Named for where they live, beside the login and password pages under /accounts/.
app_name = "accounts"

urlpatterns = [
    path("", views.verify, name="verify"),
    path("setup/", views.setup, name="setup"),
    path("recovery-codes/", views.new_recovery_codes, name="recovery_codes"),
]
