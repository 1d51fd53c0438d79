"""Every email the app sends about milestones and check-ins.

Each email is a folder under templates/emails/ with subject.txt, body.txt and
body.html (extending emails/base.html). Contexts hold plain values only.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from common.money import format_money
from common.policy import can_see_money
from milestones.links import checkin_link
from milestones.models import CheckIn
from milestones.reply_address import reply_address
from milestones.time_zones import for_reader, freelancer_zone, user_zone
from projects import forecast, selectors
from projects.health import without_money


def make_message(name, to, context, *, reply_to=None):
    """The email `name` to `to`. With `reply_to` (a reply address, milestones.reply_address),
    the bodies say in one line that replying is enough (their context's `reply_by_email`)."""
    context = {"site_url": settings.SITE_URL, **context, "reply_by_email": bool(reply_to)}
    subject = " ".join(render_to_string(f"emails/{name}/subject.txt", context).split())
    text = render_to_string(f"emails/{name}/body.txt", context)
    html = render_to_string(f"emails/{name}/body.html", context)
    message = EmailMultiAlternatives(subject, text, to=[to], reply_to=[reply_to] if reply_to else None)
    message.attach_alternative(html, "text/html")
    return message


def project_context(project):
    return {
        "project_title": project.title,
        "project_url": settings.SITE_URL + project.get_absolute_url(),
        "freelancer_name": project.freelancer.name if project.freelancer else "",
    }


def reminder(reminder):
    """The email for one Reminder row, chosen by its kind and whether it goes to the freelancer."""
    target = reminder.target
    kind = reminder.Kind
    if reminder.kind == kind.DELIVERABLE_SENT_BACK:
        return deliverable_sent_back(target, to=reminder.recipient)
    if reminder.kind in {kind.CHECKIN_UPCOMING, kind.CHECKIN_MISSED}:
        to_freelancer = reminder.user is None
        zone = freelancer_zone(target.project.freelancer) if to_freelancer else user_zone(reminder.user_id)
        context = {
            **project_context(target.project),
            "scheduled_for": for_reader(target.scheduled_for, zone),
            "milestone_title": target.milestone.title if target.milestone else "",
            "record_url": settings.SITE_URL + reverse("milestones:record", args=[target.pk]),
        }
        if to_freelancer:
            freelancer = target.project.freelancer
            context["update_url"] = checkin_link(target, freelancer)
            reply_to = reply_address(target, freelancer=freelancer)
            return make_message("checkin_upcoming_freelancer", reminder.recipient, context, reply_to=reply_to)
        reply_to = reply_address(target, user=reminder.user)
        return make_message(reminder.kind, reminder.recipient, context, reply_to=reply_to)
    if reminder.kind in {kind.MILESTONE_DUE_SOON, kind.MILESTONE_OVERDUE}:
        amount = format_money(target.amount, target.project.currency)
        context = {
            **project_context(target.project),
            "milestone_title": target.title,
            "due_on": target.due_on.strftime("%A %d %B"),
            "days_late": target.days_late,
            "amount": amount if can_see_money(reminder.user) else "",
        }
        return make_message(reminder.kind, reminder.recipient, context)
    if reminder.kind == kind.ACCESS_TO_REVOKE:
        context = {
            "freelancer_name": target.freelancer.name,
            "system": target.system,
            "access_level": target.get_access_level_display(),
            "revoke_by": target.revoke_by.strftime("%d %B %Y"),
            "project_title": target.project.title if target.project else "",
            "freelancer_url": settings.SITE_URL + target.freelancer.get_absolute_url() + "#access",
        }
        return make_message(reminder.kind, reminder.recipient, context)
    if reminder.kind == kind.FORECAST_OVERRUN:
        return forecast_overrun(reminder)
    # Gone quiet, budget alerts and reviews owed are about the project itself.
    context = {
        **project_context(target),
        "due_slot": reminder.due_slot,
        "budget_reason": (
            target.budget_health if can_see_money(reminder.user) else without_money(target.budget_health)
        ).reason,
        "checkin_every_days": target.checkin_every_days,
    }
    reply_to = None
    if reminder.kind == kind.GONE_QUIET and (checkin := checkin_to_record(target)) is not None:
        reply_to = reply_address(checkin, user=reminder.user)
    return make_message(reminder.kind, reminder.recipient, context, reply_to=reply_to)


def checkin_to_record(project):
    """The check-in an owner's reply to "gone quiet" is recorded on: the latest one planned
    before now and not held, else the next one planned; None when none is planned."""
    planned = CheckIn.objects.planned().filter(project=project)
    now = timezone.now()
    return (
        planned.filter(scheduled_for__lte=now).order_by("-scheduled_for", "-pk").first()
        or planned.filter(scheduled_for__gt=now).order_by("scheduled_for", "pk").first()
    )


def forecast_overrun(reminder):
    """Where the project is heading, from its forecast as it is now. The contingency crossing
    goes only to those who may see money (milestones.scan); the finish crossing's email
    carries cost figures only for them."""
    project = reminder.target
    result = selectors.forecast_for(project)
    money = can_see_money(reminder.user)
    about_money = reminder.due_slot.startswith(forecast.CONTINGENCY)
    if about_money:
        reason = (
            forecast.contingency_reason(result)
            if result.passes_contingency
            else "forecast to pass the contingency before the due date"
        )
    else:
        reason = (
            forecast.finish_reason(result)
            if result.finish_on is not None
            else "forecast to finish beyond the due date and its leeway"
        )
    card = forecast.card(result, show_money=money)
    context = {
        **project_context(project),
        "about_money": about_money,
        "reason": reason,
        "rows": [row for row in card["rows"] if row["name"] in FORECAST_EMAIL_ROWS],
    }
    return make_message(reminder.kind, reminder.recipient, context)


# The figures a forecast overrun email states (those the reader may see: forecast.card decides).
FORECAST_EMAIL_ROWS = {
    "Schedule performance (SPI)",
    "Forecast finish",
    "Cost performance (CPI)",
    "Estimate at completion, at this efficiency (EAC)",
    "Estimate at completion, if the rest goes to plan",
    "Contingency runs out",
}


def freelancer_update(checkin, *, revised=False):
    """To the project's owner: what the freelancer posted through their check-in link."""
    project = checkin.project
    on_track = checkin.freelancer_on_track
    context = {
        **project_context(project),
        "scheduled_for": for_reader(checkin.scheduled_for, user_zone(project.owner_id)),
        "milestone_title": checkin.milestone.title if checkin.milestone else "",
        "on_track": f"{on_track.title()}: {checkin.get_freelancer_on_track_display().lower()}"
        if on_track
        else "Not said",
        "progress": checkin.freelancer_progress,
        "questions": checkin.freelancer_questions,
        "blockers": checkin.freelancer_blockers,
        "percent_done": (
            f"{checkin.freelancer_percent_done}% of “{checkin.freelancer_percent_of.title}”"
            if checkin.freelancer_percent_done is not None and checkin.freelancer_percent_of
            else ""
        ),
        "revised": revised,
        "marked_held": checkin.is_held,
        "record_url": settings.SITE_URL + reverse("milestones:record", args=[checkin.pk]),
    }
    return make_message("freelancer_update", project.owner.email, context)


def deliverable_sent_back(deliverable, *, to):
    """To the freelancer: the owner sent a file they delivered back, and says what to change."""
    project = deliverable.project
    reviewer = deliverable.reviewed_by
    context = {
        **project_context(project),
        "milestone_title": deliverable.milestone.title if deliverable.milestone else "",
        "file_name": deliverable.name,
        "received_at": for_reader(deliverable.received_at, freelancer_zone(project.freelancer)),
        "note": deliverable.owner_note,
        "reviewer_name": (reviewer.get_full_name() or reviewer.get_username()) if reviewer else "",
    }
    return make_message("deliverable_sent_back", to, context)


def daily_digest(to, reminders, *, day):
    """The morning digest: one line per reminder, listed under its project.

    The reminders come ordered by project, with their project and subject (target) loaded,
    and all for one user, whose time zone the times are in."""
    zone = user_zone(reminders[0].user_id if reminders else None)

    def line(reminder):
        target, kind = reminder.target, reminder.Kind
        if reminder.kind == kind.CHECKIN_UPCOMING:
            return f"Check-in {for_reader(target.scheduled_for, zone)}" + (
                f", before “{target.milestone.title}”" if target.milestone else ""
            )
        if reminder.kind == kind.CHECKIN_MISSED:
            return f"The check-in of {for_reader(target.scheduled_for, zone)} was not recorded as held"
        if reminder.kind == kind.MILESTONE_DUE_SOON:
            return f"“{target.title}” is due {target.due_on:%A %d %B}"
        if reminder.kind == kind.MILESTONE_OVERDUE:
            return f"“{target.title}” was due {target.due_on:%A %d %B} and is not approved"
        if reminder.kind == kind.GONE_QUIET:
            return f"No check-in held {reminder.due_slot}"
        if reminder.kind == kind.BUDGET_ALERT:
            if reminder.due_slot.endswith("%"):
                return f"{reminder.due_slot} of the budget is spent"
            return "The budget contingency is used up"
        if reminder.kind == kind.FORECAST_OVERRUN:
            if reminder.due_slot.startswith(forecast.CONTINGENCY):
                return "At this pace the contingency runs out before the due date"
            return "At this pace the work finishes beyond the due date and its leeway"
        if reminder.kind == kind.ACCESS_TO_REVOKE:
            return (
                f"Take back {target.freelancer.name}’s {target.get_access_level_display().lower()} "
                f"access to {target.system} (revoke by {target.revoke_by:%d %B %Y})"
            )
        name = target.freelancer.name if target.freelancer else "the freelancer"
        return f"Review {name}: the project is finished"

    def link(reminder):
        if reminder.project is not None:
            return settings.SITE_URL + reminder.project.get_absolute_url()
        return settings.SITE_URL + reminder.target.freelancer.get_absolute_url() + "#access"

    items = [
        {
            "kind": reminder.get_kind_display(),
            "project_title": reminder.project.title if reminder.project else "",
            "text": line(reminder),
            "url": link(reminder),
        }
        for reminder in reminders
    ]
    return make_message("daily_digest", to, {"day": f"{day:%A %d %B}", "items": items, "count": len(items)})
