"""The code a person's authenticator app shows, for tests that type it into the real code page.

Only django-otp's own arithmetic: the browser fixtures, which any app's tests use, need no
module of the site to know the code, so they import this and not logins.py.
"""

import time

from django_otp.oath import TOTP


def authenticator_code(device):
    """The code the person's app shows: the current one or, when that was just used, the next
    one (accepted a step early, as the phone's clock may run ahead), so two logins within 30
    seconds both have a code that was never used."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += (device.last_t + 1 - totp.t()) * device.step
    return f"{totp.token():0{device.digits}d}"
