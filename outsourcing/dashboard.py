"""What the owner sees first in the morning: each panel is one or two queries, whatever
the amount of data, and links to the list behind it."""

import datetime
from collections import Counter, defaultdict

from django.db.models import Exists, OuterRef
from django.utils import timezone

from freelancers.models import AccessGrant, Freelancer
from milestones.models import CheckIn, Milestone, Reminder
from outsourcing.policy import can_see_access_grants
from projects.health import GREEN
from projects.models import Project

WEEK = datetime.timedelta(days=7)
# Enough rows for a glance; each panel links to the full list.
PANEL_ROWS = 8


def projects_needing_attention(projects):
    """Projects in progress whose budget or schedule is amber or red, the worst first."""
    troubled = [project for project in projects if project.health.level != GREEN]
    return sorted(troubled, key=lambda project: (project.health.rank, project.due_on))


def this_week(now):
    """Check-ins and milestones due within a week, overdue ones first."""
    today = timezone.localdate(now)
    checkins = (
        CheckIn.objects.planned()
        .filter(project__in=Project.objects.in_progress(), scheduled_for__lt=now + WEEK)
        .select_related("project__freelancer", "milestone")
        .order_by("scheduled_for")[:PANEL_ROWS]
    )
    milestones = (
        Milestone.objects.filter(project__in=Project.objects.in_progress(), due_on__lt=today + WEEK)
        .exclude(status__in=[Milestone.Status.APPROVED, Milestone.Status.CANCELLED])
        .select_related("project")
        .order_by("due_on")[:PANEL_ROWS]
    )
    return list(checkins), list(milestones)


def unread_updates():
    return list(
        CheckIn.objects.filter(freelancer_updated_at__isnull=False, update_read_at__isnull=True)
        .select_related("project__freelancer", "milestone")
        .order_by("-freelancer_updated_at")[:PANEL_ROWS]
    )


def pipeline():
    """How many freelancers are at each stage, and who in vetting or trial waits on what."""
    active = Freelancer.objects.active().filter(do_not_hire=False)
    counts = Counter(active.values_list("status", flat=True))
    stages = [(label, counts.get(value, 0), value) for value, label in Freelancer.Status.choices]
    waiting = [
        freelancer
        for freelancer in active.with_vetting().filter(
            status__in=[Freelancer.Status.VETTING, Freelancer.Status.TRIAL]
        )
        if freelancer.vetting.missing
    ][:PANEL_ROWS]
    return stages, waiting


def bench():
    """Approved freelancers free now (on no project in progress), by skill: the backup pool."""
    busy = Project.objects.in_progress().filter(freelancer=OuterRef("pk"))
    free = (
        Freelancer.objects.active()
        .filter(status=Freelancer.Status.APPROVED, do_not_hire=False)
        .exclude(Exists(busy))
        .prefetch_related("skills")
        .order_by("name")
    )
    by_skill = defaultdict(list)
    for freelancer in free:
        for skill in freelancer.skills.all() or [None]:
            by_skill[skill.name if skill else "No skill recorded"].append(freelancer)
    return sorted(by_skill.items())


def dashboard(user, now=None):
    now = now or timezone.now()
    in_progress = list(Project.objects.in_progress().with_details())
    checkins, milestones = this_week(now)
    stages, waiting = pipeline()
    context = {
        "attention": projects_needing_attention(in_progress),
        "in_progress_count": len(in_progress),
        "week_checkins": checkins,
        "week_milestones": milestones,
        "updates": unread_updates(),
        "stages": stages,
        "waiting": waiting,
        "bench": bench(),
        "reviews_owed": list(Project.objects.reviews_owed().select_related("freelancer")[:PANEL_ROWS]),
    }
    if can_see_access_grants(user):
        context["overdue_grants"] = list(
            AccessGrant.objects.overdue(timezone.localdate(now)).select_related("freelancer")[:PANEL_ROWS]
        )
    if user.has_perm("milestones.view_reminder"):
        context["failed_reminders"] = Reminder.objects.filter(state=Reminder.State.FAILED).count()
    return context
