"""Who must give a second factor after the password, and whether this session has given it.

A login is complete when the password was enough for this person (MFA_REQUIRED_FOR does not
name their role and they have not turned two-factor login on) or when their authenticator app or
a recovery code was accepted. Which of the two is written into the session as the login happens,
so the middleware tells a complete login from an unfinished one without a query; a session with
neither mark (one from before two-factor login existed, say) counts as unfinished.
"""

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address, get_lockout_response
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_login_failed
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.roles import ASSISTANT, OWNER

# Set in the session when the password alone completed the login.
NOT_NEEDED_SESSION_KEY = "second_factor_not_needed"

# The words of MFA_REQUIRED_FOR that name a role (common/roles.py); "superusers" is the flag.
ROLE_WORDS = {"owners": OWNER, "assistants": ASSISTANT}


def is_required_for(user):
    """True when MFA_REQUIRED_FOR names this person's role (or superusers, and they are one)."""
    required = settings.MFA_REQUIRED_FOR
    if "superusers" in required and user.is_superuser:
        return True
    roles = [ROLE_WORDS[word] for word in required if word in ROLE_WORDS]
    return bool(roles) and user.groups.filter(name__in=roles).exists()


def authenticator(user):
    """The person's confirmed authenticator app, or None if they have not set one up."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def recovery_codes_left(user):
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def needs_second_factor(user):
    """Their role requires one, or they turned it on for themselves."""
    return is_required_for(user) or authenticator(user) is not None


def is_complete(session):
    return DEVICE_ID_SESSION_KEY in session or session.get(NOT_NEEDED_SESSION_KEY, False)


def start(sender, request, user, **kwargs):
    """On every login (user_logged_in): the second factor is asked for again, unless the
    password is all this person needs."""
    request.session.pop(NOT_NEEDED_SESSION_KEY, None)
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    if not needs_second_factor(user):
        password_was_enough(request, user)


def password_was_enough(request, user):
    request.session[NOT_NEEDED_SESSION_KEY] = True
    forget_failures(request, user)


def complete(request, device):
    """The second step succeeded with `device`: the login is complete."""
    otp_login(request, device)
    request.session.pop(NOT_NEEDED_SESSION_KEY, None)
    # A new session key for the new standing, as Django does when the password is accepted.
    request.session.cycle_key()
    forget_failures(request, request.user)


# Login throttling (django-axes) counts a wrong code like a wrong password: the same count for
# the same username and address, the same lockout.


def credentials(user):
    return {settings.AXES_USERNAME_FORM_FIELD: user.get_username()}


def is_locked_out(request):
    return not AxesProxyHandler.is_allowed(request, credentials(request.user))


def count_failure(request):
    """Record a wrong code; True when it was the one that locks the account out."""
    user_login_failed.send(sender=__name__, credentials=credentials(request.user), request=request)
    return bool(getattr(request, "axes_locked_out", False))


def lockout_response(request):
    """End the half-done login and show the lockout page."""
    user_credentials = credentials(request.user)
    logout(request)
    return get_lockout_response(request, None, user_credentials)


def forget_failures(request, user):
    # What AXES_RESET_ON_SUCCESS would do at the password, done when the whole login succeeds.
    AxesProxyHandler.reset_attempts(ip_address=get_client_ip_address(request), username=user.get_username())
