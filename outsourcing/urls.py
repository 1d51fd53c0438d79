from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from common.forms import AdminLoginForm, LoginForm
from dashboard import views
from milestones import public_views

admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    # Only these account pages: password reset by email is left out on purpose,
    # since staff accounts are managed by the owner in the admin.
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Two-factor login: the code after the password, setting it up, recovery codes.
    path("accounts/two-factor/", include("dashboard.two_factor_urls")),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("admin/", admin.site.urls),
    path("freelancers/", include("freelancers.urls")),
    path("projects/", include("milestones.project_urls")),
    path("checkins/", include("milestones.urls")),
    # The freelancer's update page: no login, the signed token is the key.
    path("checkin/<str:token>/", public_views.checkin_update, name="checkin_update"),
    # The owner's calendar feed: no login, so calendar apps can poll it; the secret is the key.
    path("calendar/<str:secret>.ics", public_views.calendar_feed, name="calendar_feed"),
    # Replies by email, posted by an ESP: no login, anymail checks the ESP's credentials.
    path("inbound/", include("milestones.inbound_urls")),
]
