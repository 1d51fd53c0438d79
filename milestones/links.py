"""The freelancer's signed check-in link: one check-in, one freelancer, an expiry."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from milestones.models import CheckIn
from projects.models import Project

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


def reachable_checkins(freelancer_id):
    """The check-ins a freelancer's link can still reach: those of a project in progress
    (active or on hold, not archived) whose freelancer they still are. A held check-in is
    reached but takes no new update: post_freelancer_update() refuses it."""
    return CheckIn.objects.filter(
        project__in=Project.objects.in_progress().filter(freelancer_id=freelancer_id)
    )


def checkin_for_token(token):
    """The check-in a link opens, with its project and milestone; None for a tampered,
    malformed or expired token, a check-in since deleted, or a link closed since it was sent.

    Callers answer every None the same way, so a visitor learns nothing about why."""
    try:
        checkin_id, freelancer_id = read_checkin_token(token)
    except signing.BadSignature:
        return None
    # bool is an int too, and no primary key.
    if not all(type(value) is int for value in (checkin_id, freelancer_id)):
        return None
    checkins = reachable_checkins(freelancer_id).select_related("project__freelancer", "milestone")
    return checkins.filter(pk=checkin_id).first()
