"""Pages outside the login: the freelancer's signed check-in update page, the owner's calendar feed."""

import hashlib
from http import HTTPStatus

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import condition, require_GET, require_http_methods

from common.client_address import client_address
from common.form_errors import add_service_errors
from milestones import calendar, services
from milestones.forms import FreelancerUpdateForm
from milestones.links import checkin_for_token
from milestones.models import CalendarFeed
from milestones.time_zones import for_reader, freelancer_zone

# Posts allowed per (count, seconds): enough for a freelancer correcting a typo, too few to flood the owner.
POSTS_PER_TOKEN = (5, 10 * 60)
POSTS_PER_ADDRESS = (20, 60 * 60)
# Posts with a link that does not work, per address. Counted apart from the budget above, so
# nobody can use up a freelancer's budget with made-up links; lower, since no one needs many.
REFUSED_POSTS_PER_ADDRESS = (10, 60 * 60)

TOO_MANY = (
    "Too many updates were posted from here in a short time. Nothing was saved: "
    "please wait a few minutes and send it again.\n"
)
THANKS = {
    "posted": "Thank you: your update was sent to the project owner.",
    "revised": "Your update was updated, and the project owner was told.",
    "repeated": "We already had this update: nothing was changed.",
}


def link_invalid(request):
    """The one answer to every link that does not work, whatever the reason: it reveals nothing."""
    return render(request, "milestones/checkin_link_invalid.html", status=HTTPStatus.FORBIDDEN)


def too_many(limits):
    """The 429 answer when any of `limits` was exceeded, else None. Every counter counts
    the post, so no limit can be dodged through another."""
    exceeded = [limit for name, key, limit in limits if over_limit(name, key, limit)]
    if not exceeded:
        return None
    response = HttpResponse(
        TOO_MANY, status=HTTPStatus.TOO_MANY_REQUESTS, content_type="text/plain; charset=utf-8"
    )
    response["Retry-After"] = str(max(seconds for _, seconds in exceeded))
    return response


def over_limit(name, key, limit):
    """Count one more post under `key`; True once more than `limit` = (count, seconds) were made
    in the current window. Counts live in the cache, so they are shared only as widely as it is."""
    count, seconds = limit
    cache_key = f"checkin-posts:{name}:{hashlib.sha256(key.encode()).hexdigest()}"
    cache.add(cache_key, 0, timeout=seconds)  # starts a window unless one is running
    try:
        return cache.incr(cache_key) > count
    except ValueError:  # the window ended between add() and incr()
        cache.set(cache_key, 1, timeout=seconds)
        return False


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def checkin_update(request, token):
    """The freelancer's update form, opened by the signed token alone."""
    posting = request.method == "POST"
    address = client_address(request)
    checkin = checkin_for_token(token)
    if checkin is None:
        refused = posting and too_many([("refused", address, REFUSED_POSTS_PER_ADDRESS)])
        return refused or link_invalid(request)
    if posting and (
        limited := too_many([("token", token, POSTS_PER_TOKEN), ("address", address, POSTS_PER_ADDRESS)])
    ):
        return limited
    # A second visit starts from the update already sent, to correct rather than retype it.
    stored = {field: getattr(checkin, column) for field, column in services.UPDATE_FIELDS.items()}
    declared_of = services.milestone_to_declare(checkin)
    if declared_of is not None and checkin.freelancer_percent_of_id == declared_of.pk:
        stored["percent_done"] = checkin.freelancer_percent_done
    form = FreelancerUpdateForm(
        request.POST if request.method == "POST" else None,
        initial=stored if checkin.freelancer_updated_at else None,
        milestone=declared_of,
    )
    if form.is_bound and form.is_valid():
        try:
            outcome = services.post_freelancer_update(
                checkin=checkin, freelancer=checkin.project.freelancer, **form.cleaned_data
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):  # the link closed: held, or the project moved on
                return link_invalid(request)
            add_service_errors(form, error)
        else:
            context = {
                "project_title": checkin.project.title,
                "message": THANKS[outcome],
                "can_change": not checkin.is_held,
            }
            return render(request, "milestones/checkin_update_thanks.html", context)
    # A held check-in takes no update; only a repeat of the stored one (above) is still thanked.
    if checkin.is_held:
        return link_invalid(request)
    context = {
        "checkin": checkin,
        "project": checkin.project,
        "milestone": checkin.milestone,
        "scheduled_for": for_reader(checkin.scheduled_for, freelancer_zone(checkin.project.freelancer)),
        "form": form,
    }
    status = HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK
    return render(request, "milestones/checkin_update.html", context, status=status)


def open_feeds():
    """Feeds whose secret still opens them: not revoked, of a user still active."""
    return CalendarFeed.objects.select_related("user").filter(user__is_active=True)


def feed_etag(request, secret):
    feed = open_feeds().filter(secret=secret).first()
    return calendar.feed_version(feed.user) if feed else None


@login_not_required
# Kept by calendar apps but checked every time: an unchanged feed is a 304, found from a
# fingerprint of its rows without building the document.
@cache_control(private=True, no_cache=True)
@condition(etag_func=feed_etag)
@require_GET
def calendar_feed(request, secret):
    """The owner's iCalendar feed, opened by its secret alone; an unknown or revoked secret, or
    the secret of a deactivated user, is a 404."""
    feed = get_object_or_404(open_feeds(), secret=secret)
    response = HttpResponse(calendar.owner_feed(feed.user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="helping-hands.ics"'
    return response
