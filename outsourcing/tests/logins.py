"""How tests log in: as a person who finished the whole login, second factor included.

Most tests are about what a logged-in person may do, not about logging in, so they skip the
login form with force_login. For someone whose login needs a second factor, `Client` below
then marks the session verified by the person's authenticator app through django-otp's own
`login(request, device)`, as the code page does once the code is right. The login form and the
code page themselves are tested through the real pages in test_two_factor.py, and the browser
fixtures type a real code from the app (authenticator_app.py). Who needs a second factor is the
site's rule (dashboard/two_factor.py), so app tests reach this only through conftest's `client`.
"""

import django.test
import django_otp
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from dashboard import two_factor


def authenticator_for(user):
    """The person's authenticator app, set up now if they had none."""
    device = two_factor.authenticator(user)
    return device or TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)


class Client(django.test.Client):
    """Django's test client whose force_login includes the second factor where one is needed."""

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        if two_factor.needs_second_factor(user):
            request = HttpRequest()
            request.session, request.user = self.session, user
            django_otp.login(request, authenticator_for(user))
            request.session.save()
