from django.contrib.auth.views import redirect_to_login
from django.urls import reverse

from dashboard import two_factor

# What a session that gave the password but not yet the second factor may open.
SECOND_STEP_PAGES = {"accounts:verify", "accounts:setup", "logout"}


class SecondFactorMiddleware:
    """Until the login is complete (dashboard/two_factor.py), every page that needs a login
    sends the person to the second step instead, the admin included; pages open to anyone stay
    open. This is the one place that enforces it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated or not getattr(view_func, "login_required", True):
            return None
        if two_factor.is_complete(request.session) or request.resolver_match.view_name in SECOND_STEP_PAGES:
            return None
        return redirect_to_login(request.get_full_path(), reverse("accounts:verify"))
