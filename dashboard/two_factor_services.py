"""Turning two-factor login on and off, checking a code, and making recovery codes."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_CODES_NAME = "Recovery codes"


def normalize_code(code):
    """What a person typed, as stored: spaces and dashes dropped (codes are shown in groups)."""
    return re.sub(r"[\s-]", "", code).lower()


def verify_code(*, user, code):
    """The device that accepts `code` (used up: an app's code cannot be replayed, a recovery
    code works once), or None.

    Six digits are a code from the authenticator app; anything else is taken as a recovery
    code. Each is checked against its own device only, so a mistyped app code does not
    slow down the next recovery code through django-otp's per-device throttling.
    """
    code = normalize_code(code)
    model = TOTPDevice if re.fullmatch(r"\d{6}", code) else StaticDevice
    with transaction.atomic():
        # Locked, so the same code posted twice at once is accepted once.
        device = model.objects.devices_for_user(user, confirmed=True).select_for_update().first()
        if device is not None and device.verify_token(code):
            return device
    return None


def turn_on_two_factor(*, user, key, code):
    """Confirm the authenticator app holding `key` with a code it shows, and make recovery codes.

    Returns (the device, the recovery codes to show once), or None when the code is not right.
    The unconfirmed device is kept between tries so django-otp's throttling counts them.
    """
    if TOTPDevice.objects.devices_for_user(user, confirmed=True).exists():
        raise ValidationError("Two-factor login is already on for this account.")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).exclude(key=key).delete()
        device, _ = TOTPDevice.objects.select_for_update().get_or_create(
            user=user, key=key, confirmed=False, defaults={"name": AUTHENTICATOR_NAME}
        )
        if not device.verify_token(normalize_code(code)):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return device, replace_recovery_codes(user=user)


def replace_recovery_codes(*, user):
    """New recovery codes for `user`; the old ones stop working. Returns the codes to show once."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY_CODES_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def turn_off_two_factor(*, user):
    """Remove the person's authenticator app and recovery codes. If their role requires a
    second factor they set up a new app at their next login; otherwise the password is enough."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
