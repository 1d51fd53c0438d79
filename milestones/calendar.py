"""iCalendar documents: an owner's feed of check-ins and milestone due dates, and one
check-in as an invitation to send the freelancer."""

import datetime

from django.conf import settings
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from milestones.models import CheckIn, Milestone
from projects.models import Project

PRODID = "-//Helping Hands//Check-ins//EN"
CHECKIN_LENGTH = datetime.timedelta(minutes=30)
# The feed's window for planned check-ins and open milestones: recent misses stay visible, the far
# future is left out, so the feed stays small however long the business has run.
FEED_PAST = datetime.timedelta(days=30)
FEED_AHEAD = datetime.timedelta(days=180)


def checkin_uid(checkin):
    return f"checkin-{checkin.pk}@helping-hands"


def milestone_uid(milestone):
    return f"milestone-{milestone.pk}@helping-hands"


def checkin_summary(checkin, project):
    with_whom = f" with {project.freelancer.name}" if project.freelancer else ""
    return f"Check-in: {project.title}{with_whom}"


def new_calendar(name=None, method=None):
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def checkin_event(checkin, project, stamp):
    event = Event()
    event.add("uid", checkin_uid(checkin))
    event.add("dtstamp", stamp)
    start = checkin.scheduled_for.astimezone(datetime.UTC)
    event.add("dtstart", start)
    event.add("dtend", start + CHECKIN_LENGTH)
    event.add("summary", checkin_summary(checkin, project))
    event.add("url", settings.SITE_URL + reverse("milestones:record", args=[checkin.pk]))
    if checkin.milestone_id:
        event.add("description", f"Milestone: {checkin.milestone.title}")
    return event


def milestone_event(milestone, project, stamp):
    event = Event()
    event.add("uid", milestone_uid(milestone))
    event.add("dtstamp", stamp)
    event.add("dtstart", milestone.due_on)
    event.add("dtend", milestone.due_on + datetime.timedelta(days=1))
    event.add("summary", f"Due: {milestone.title} ({project.title})")
    event.add("url", settings.SITE_URL + reverse("projects:detail", args=[project.pk]))
    event.add("transp", "TRANSPARENT")
    return event


def feed_projects(user, now):
    """The user's projects in progress with their planned check-ins in the feed's window and
    their open milestones: three queries (projects with freelancers, check-ins with milestones,
    milestones) whatever the number of rows."""
    checkins = (
        CheckIn.objects.planned()
        .filter(scheduled_for__gte=now - FEED_PAST, scheduled_for__lte=now + FEED_AHEAD)
        .select_related("milestone")
        .order_by("scheduled_for", "pk")
    )
    milestones = (
        Milestone.objects.open()
        .filter(due_on__gte=(now - FEED_PAST).date(), due_on__lte=(now + FEED_AHEAD).date())
        .order_by("due_on", "pk")
    )
    return (
        Project.objects.in_progress()
        .filter(owner=user)
        .select_related("freelancer")
        .prefetch_related(
            Prefetch("checkins", queryset=checkins, to_attr="feed_checkins"),
            Prefetch("milestones", queryset=milestones, to_attr="feed_milestones"),
        )
        .order_by("title", "pk")
    )


def owner_feed(user, now=None):
    """The iCalendar feed an owner subscribes to, as bytes."""
    now = now or timezone.now()
    # The same stamp all day: the document only changes when the data does, so its ETag
    # lets calendar apps polling every few minutes get a 304 instead of the whole feed.
    stamp = now.astimezone(datetime.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    calendar = new_calendar(name="Helping Hands")
    for project in feed_projects(user, now):
        for checkin in project.feed_checkins:
            calendar.add_component(checkin_event(checkin, project, stamp))
        for milestone in project.feed_milestones:
            calendar.add_component(milestone_event(milestone, project, stamp))
    return calendar.to_ical()


def checkin_invitation(checkin, now=None):
    """One check-in as a meeting request from the owner to the freelancer, as bytes."""
    project = checkin.project
    calendar = new_calendar(method="REQUEST")
    event = checkin_event(checkin, project, now or timezone.now())
    organizer = vCalAddress(f"mailto:{project.owner.email}")
    organizer.params["cn"] = vText(project.owner.get_full_name() or project.owner.get_username())
    event.add("organizer", organizer)
    if project.freelancer:
        attendee = vCalAddress(f"mailto:{project.freelancer.email}")
        attendee.params["cn"] = vText(project.freelancer.name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("NEEDS-ACTION")
        attendee.params["rsvp"] = vText("TRUE")
        event.add("attendee", attendee)
    event.add("sequence", 0)
    event.add("status", "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
