"""Every email the app sends about milestones and check-ins.

Each email is a folder under templates/emails/ with subject.txt, body.txt and
body.html (extending emails/base.html). Contexts hold plain values only.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from milestones.links import checkin_link
from outsourcing.money import format_money


def make_message(name, to, context):
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{name}/subject.txt", context).split())
    text = render_to_string(f"emails/{name}/body.txt", context)
    html = render_to_string(f"emails/{name}/body.html", context)
    message = EmailMultiAlternatives(subject, text, to=[to])
    message.attach_alternative(html, "text/html")
    return message


def when(moment):
    return timezone.localtime(moment).strftime("%A %d %B, %H:%M")


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
    if reminder.kind in {kind.CHECKIN_UPCOMING, kind.CHECKIN_MISSED}:
        context = {
            **project_context(target.project),
            "scheduled_for": when(target.scheduled_for),
            "milestone_title": target.milestone.title if target.milestone else "",
            "record_url": settings.SITE_URL + reverse("milestones:record", args=[target.pk]),
        }
        if reminder.user is None:
            context["update_url"] = checkin_link(target, target.project.freelancer)
            return make_message("checkin_upcoming_freelancer", reminder.recipient, context)
        return make_message(reminder.kind, reminder.recipient, context)
    if reminder.kind in {kind.MILESTONE_DUE_SOON, kind.MILESTONE_OVERDUE}:
        context = {
            **project_context(target.project),
            "milestone_title": target.title,
            "due_on": target.due_on.strftime("%A %d %B"),
            "days_late": target.days_late,
            "amount": format_money(target.amount, target.project.currency),
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
        "budget_reason": target.budget_health.reason,
        "checkin_every_days": target.checkin_every_days,
    }
    return make_message(reminder.kind, reminder.recipient, context)
