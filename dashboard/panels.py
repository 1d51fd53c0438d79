"""What the owner sees first in the morning: each panel is one or two queries, whatever
the amount of data, and links to the list behind it."""

import datetime
from collections import Counter, defaultdict

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from freelancers.models import AccessGrant, Freelancer
from milestones.models import CheckIn, Milestone, Reminder
from projects.health import GREEN, RANK
from projects.models import Project

WEEK = datetime.timedelta(days=7)
# Enough rows for a glance; each panel links to the full list.
PANEL_ROWS = 8


def projects_needing_attention():
    """Projects in progress whose budget or schedule is amber or red, the worst first:
    the first rows and the counts, each one query however many projects there are."""
    in_progress = Project.objects.in_progress().with_health()
    troubled = in_progress.filter(health_rank__lt=RANK[GREEN])
    rows = list(troubled.select_related("freelancer").order_by("health_rank", "due_on", "pk")[:PANEL_ROWS])
    counts = in_progress.aggregate(
        total=Count("pk"), troubled=Count("pk", filter=Q(health_rank__lt=RANK[GREEN]))
    )
    return rows, counts["troubled"], counts["total"]


def week_checkins(now):
    """Check-ins due within a week, overdue ones first."""
    return list(
        CheckIn.objects.planned()
        .filter(project__in=Project.objects.in_progress(), scheduled_for__lt=now + WEEK)
        .select_related("project__freelancer", "milestone")
        .order_by("scheduled_for")[:PANEL_ROWS]
    )


def week_milestones(now):
    """Open milestones due within a week, overdue ones first."""
    today = timezone.localdate(now)
    return list(
        Milestone.objects.open()
        .filter(project__in=Project.objects.in_progress(), due_on__lt=today + WEEK)
        .select_related("project")
        .order_by("due_on")[:PANEL_ROWS]
    )


def unread_updates():
    return list(
        CheckIn.objects.filter(freelancer_updated_at__isnull=False, update_read_at__isnull=True)
        .select_related("project__freelancer", "milestone")
        .order_by("-freelancer_updated_at")[:PANEL_ROWS]
    )


def pipeline():
    """How many freelancers are at each stage, and who in vetting or trial waits on what."""
    active = Freelancer.objects.hireable()
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
        Freelancer.objects.hireable()
        .filter(status=Freelancer.Status.APPROVED)
        .exclude(Exists(busy))
        .prefetch_related("skills")
        .order_by("name")
    )
    by_skill = defaultdict(list)
    for freelancer in free:
        for skill in freelancer.skills.all() or [None]:
            by_skill[skill.name if skill else "No skill recorded"].append(freelancer)
    return sorted(by_skill.items())


# Each panel needs the permissions of the pages behind it: what it names (projects,
# freelancers, check-ins, grants) is no more visible here than there.
PANEL_PERMISSIONS = {
    "attention": ("projects.view_project",),
    "week_checkins": ("projects.view_project", "milestones.view_checkin"),
    "week_milestones": ("projects.view_project", "milestones.view_milestone"),
    "updates": ("projects.view_project", "milestones.view_checkin"),
    "reviews_owed": ("projects.view_project",),
    "pipeline": ("freelancers.view_freelancer",),
    "bench": ("freelancers.view_freelancer",),
    "overdue_grants": ("freelancers.view_accessgrant",),
    "failed_reminders": ("milestones.view_reminder",),
}


def allowed_panels(user):
    return {panel for panel, permissions in PANEL_PERMISSIONS.items() if user.has_perms(permissions)}


def dashboard(user, now=None):
    """The panels `user` may see; a panel they may not see is left out and runs no query."""
    now = now or timezone.now()
    allowed = allowed_panels(user)
    context = {"no_panels": not allowed}
    if "attention" in allowed:
        attention, attention_count, in_progress_count = projects_needing_attention()
        context["attention"] = attention
        context["attention_more"] = attention_count - len(attention)
        context["in_progress_count"] = in_progress_count
    if "week_checkins" in allowed:
        context["week_checkins"] = week_checkins(now)
    if "week_milestones" in allowed:
        context["week_milestones"] = week_milestones(now)
    if "updates" in allowed:
        context["updates"] = unread_updates()
    if "pipeline" in allowed:
        context["stages"], context["waiting"] = pipeline()
    if "bench" in allowed:
        context["bench"] = bench()
    if "reviews_owed" in allowed:
        owed = Project.objects.reviews_owed().select_related("freelancer")
        context["reviews_owed"] = list(owed[:PANEL_ROWS])
    if "overdue_grants" in allowed:
        context["overdue_grants"] = list(
            AccessGrant.objects.overdue(timezone.localdate(now)).select_related("freelancer")[:PANEL_ROWS]
        )
    if "failed_reminders" in allowed:
        context["failed_reminders"] = Reminder.objects.filter(state=Reminder.State.FAILED).count()
    return context
