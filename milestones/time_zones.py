"""Times are read on the reader's clock: a freelancer's recorded time zone, a staff user's
setting, or TIME_ZONE; always with the zone named, so nobody has to guess whose 10:00 it is."""

import zoneinfo
from functools import cache

from django.conf import settings
from django.utils import timezone

from milestones.models import ReminderPreference

# Where a logged-in user's chosen zone is kept, so pages need no query to know it.
SESSION_KEY = "time_zone"


@cache
def zone_choices():
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


def zone_named(name):
    """The zone called `name`, or TIME_ZONE's when it is blank or not a zone we know: a stored
    name may predate a tzdata update or come from an import, and must never break a page or an email."""
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def chosen_zone_name(user):
    """The zone `user` (or the user of that id) chose on their settings page, "" for the site's."""
    chosen = ReminderPreference.objects.filter(user=user).values_list("time_zone", flat=True).first()
    return chosen or ""


def user_zone(user):
    return zone_named(chosen_zone_name(user))


def freelancer_zone(freelancer):
    return zone_named(freelancer.timezone if freelancer else "")


def zone_label(moment):
    """How `moment`'s zone is named: its abbreviation (JST, CEST), or the zone's own name where
    the abbreviation is only an offset such as "+04", which says nothing about whose clock it is."""
    abbreviation = moment.tzname() or ""
    return abbreviation if abbreviation.isalpha() else str(moment.tzinfo)


def for_reader(moment, zone):
    """`moment` as its reader sees it, e.g. "Wednesday 2 December, 19:00 JST"."""
    local = moment.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B}, {local:%H:%M} {zone_label(local)}"


def remember_zone(request, name):
    request.session[SESSION_KEY] = name


def remember_zone_on_login(sender, request, user, **kwargs):
    """Read the user's zone once, when they log in, instead of on every page."""
    if request is not None and hasattr(request, "session"):
        remember_zone(request, chosen_zone_name(user))


class ReaderTimeZoneMiddleware:
    """Show a logged-in user's pages in their own time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            name = request.session.get(SESSION_KEY)
            if name is None:  # a session begun before zones were remembered at login
                name = chosen_zone_name(request.user)
                remember_zone(request, name)
            timezone.activate(zone_named(name))
        try:
            return self.get_response(request)
        finally:
            # The thread serves other users next.
            timezone.deactivate()
