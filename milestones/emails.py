"""Every email the app sends about milestones and check-ins.

Each email is a folder under templates/emails/ with subject.txt, body.txt and
body.html (extending emails/base.html). Contexts hold plain values only.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from common.money import format_money
from common.policy import can_see_money
from milestones.links import checkin_link
from milestones.time_zones import for_reader, freelancer_zone, user_zone
from projects.health import without_money


def make_message(name, to, context):
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{name}/subject.txt", context).split())
    text = render_to_string(f"emails/{name}/body.txt", context)
    html = render_to_string(f"emails/{name}/body.html", context)
    message = EmailMultiAlternatives(subject, text, to=[to])
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
            context["update_url"] = checkin_link(target, target.project.freelancer)
            return make_message("checkin_upcoming_freelancer", reminder.recipient, context)
        return make_message(reminder.kind, reminder.recipient, context)
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
    # Gone quiet, budget alerts and reviews owed are about the project itself.
    context = {
        **project_context(target),
        "due_slot": reminder.due_slot,
        "budget_reason": (
            target.budget_health if can_see_money(reminder.user) else without_money(target.budget_health)
        ).reason,
        "checkin_every_days": target.checkin_every_days,
    }
    return make_message(reminder.kind, reminder.recipient, context)


def freelancer_update(checkin, *, revised=False):
    """To the project's owner: what the freelancer posted through their check-in link."""
    project = checkin.project
    on_track = checkin.freelancer_on_track
    context = {
        **project_context(project),
        "scheduled_for": for_reader(checkin.scheduled_for, user_zone(project.owner_id)),
        "milestone_title": checkin.milestone.title if checkin.milestone else "",
        "on_track": f"{on_track.title()}: {checkin.get_freelancer_on_track_display().lower()}",
        "progress": checkin.freelancer_progress,
        "questions": checkin.freelancer_questions,
        "blockers": checkin.freelancer_blockers,
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
