"""The second step of the login, and setting it up (dashboard/two_factor.py says who needs it)."""

from base64 import b32encode
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from dashboard import two_factor
from dashboard import two_factor_services as services
from dashboard.qr_codes import qr_code_data_url
from dashboard.two_factor_forms import CodeForm, SetupCodeForm

WRONG_CODE = (
    "That code is not right, or was already used. The app shows a new one every 30 seconds; "
    "after a wrong code, wait a few seconds before the next."
)
# The secret of an authenticator app being set up, kept in the session until a code confirms it.
SETUP_KEY_SESSION_KEY = "two_factor_setup_key"


def next_url(request):
    """Where to go once the login is complete: the page asked for, if it is one of ours."""
    url = request.POST.get("next") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def with_next(url_name, next_):
    return f"{reverse(url_name)}?{urlencode({'next': next_})}"


def in_groups(code, size=4):
    return " ".join(code[start : start + size] for start in range(0, len(code), size))


def recovery_codes_page(request, codes, next_):
    context = {"codes": [f"{code[:4]}-{code[4:]}" for code in codes], "next": next_}
    return render(request, "dashboard/two_factor/recovery_codes.html", context)


@require_http_methods(["GET", "POST"])
def verify(request):
    """The code after the password, from the authenticator app or a recovery code."""
    user, next_ = request.user, next_url(request)
    if two_factor.is_complete(request.session):
        return redirect(next_)
    if not two_factor.needs_second_factor(user):
        two_factor.password_was_enough(request, user)
        return redirect(next_)
    if two_factor.authenticator(user) is None:
        return redirect(with_next("accounts:setup", next_))
    form = CodeForm(request.POST or None)
    if form.is_valid():
        if two_factor.is_locked_out(request):
            return two_factor.lockout_response(request)
        device = services.verify_code(user=user, code=form.cleaned_data["code"])
        if device is not None:
            two_factor.complete(request, device)
            return redirect(next_)
        if two_factor.count_failure(request):
            return two_factor.lockout_response(request)
        form.add_error("code", WRONG_CODE)
    return render(
        request,
        "dashboard/two_factor/verify.html",
        {"form": form, "next": next_, "second_step_pending": True},
    )


@require_http_methods(["GET", "POST"])
def setup(request):
    """Add Helping Hands to an authenticator app: a QR code (and the key as text), then a code
    from the app to show it works; the recovery codes follow, shown once."""
    user, next_ = request.user, next_url(request)
    pending = not two_factor.is_complete(request.session)
    current = two_factor.authenticator(user)
    if current is not None:
        if pending:
            # The app already set up must be used first: a password alone cannot replace it.
            return redirect(with_next("accounts:verify", next_))
        context = {"device": current, "recovery_codes_left": two_factor.recovery_codes_left(user)}
        return render(request, "dashboard/two_factor/two_factor_on.html", context)

    key = request.session.setdefault(SETUP_KEY_SESSION_KEY, default_key())
    form = SetupCodeForm(request.POST or None)
    if form.is_valid():
        if two_factor.is_locked_out(request):
            return two_factor.lockout_response(request)
        turned_on = services.turn_on_two_factor(user=user, key=key, code=form.cleaned_data["code"])
        if turned_on is not None:
            device, codes = turned_on
            del request.session[SETUP_KEY_SESSION_KEY]
            two_factor.complete(request, device)
            return recovery_codes_page(request, codes, next_)
        if two_factor.count_failure(request):
            return two_factor.lockout_response(request)
        form.add_error("code", WRONG_CODE)
    device = TOTPDevice(user=user, key=key)
    context = {
        "form": form,
        "next": next_,
        "qr_code": qr_code_data_url(device.config_url),
        "secret": in_groups(b32encode(device.bin_key).decode("ascii")),
        "required": two_factor.is_required_for(user),
        "second_step_pending": pending,
    }
    return render(request, "dashboard/two_factor/setup.html", context)


@require_POST
def new_recovery_codes(request):
    """Replace the recovery codes (all used, or lost): the old ones stop working."""
    if two_factor.authenticator(request.user) is None:
        return redirect("accounts:setup")
    codes = services.replace_recovery_codes(user=request.user)
    return recovery_codes_page(request, codes, reverse("accounts:setup"))
