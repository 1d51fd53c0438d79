"""The freelancer's signed check-in link: one check-in, one freelancer, an expiry."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "milestones.checkin-link"


def checkin_token(checkin, freelancer):
    return signing.TimestampSigner(salt=SALT).sign_object(
        {"checkin": checkin.pk, "freelancer": freelancer.pk}
    )


def read_checkin_token(token):
    """Return (checkin id, freelancer id); raises signing.BadSignature (or its
    subclass SignatureExpired) for a tampered, malformed or expired token."""
    max_age = settings.CHECKIN_LINK_MAX_AGE * 24 * 3600
    data = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=max_age)
    if not isinstance(data, dict):
        raise signing.BadSignature("Unexpected token contents")
    return data.get("checkin"), data.get("freelancer")


def checkin_link(checkin, freelancer):
    return settings.SITE_URL + reverse("checkin_update", args=[checkin_token(checkin, freelancer)])
