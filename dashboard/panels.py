"""What the owner sees first in the morning: each panel is one or two queries, whatever
the amount of data, and links to the list behind it."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, F, OuterRef, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from common.policy import can_see_money
from freelancers.models import AccessGrant, Freelancer
from milestones.models import CheckIn, Milestone, Reminder
from projects import forecast, selectors
from projects.health import GREEN, RANK
from projects.models import Project

WEEK = datetime.timedelta(days=7)
# Enough rows for a glance; each panel links to the full list.
PANEL_ROWS = 8
# Rows of "needing attention" kept for projects green today but forecast red, however many
# are in trouble today: the warning comes while there is still time to act.
FORECAST_ROWS = 3
# The bench: so many skills, and so many names per skill.
BENCH_SKILLS = 12
BENCH_NAMES = 5
NO_SKILL = "No skill recorded"


@dataclass
class HeadingForTrouble:
    """A project green today whose forecast is red, and why, in words the reader may see."""

    project: Project
    outlook: object  # a projects.health.Health
    crossing_on: datetime.date


def heading_for_trouble(today, *, show_money):
    """Active projects green today but forecast red (projects.forecast: to pass the
    contingency before the due date, or to finish beyond the leeway), the soonest crossing
    first. Every such project is a candidate, so they are all read: two queries, the green
    projects with their spending and health summed in SQL, and their milestones."""
    green = list(
        Project.objects.in_progress()
        .active()
        .with_health(today)
        .filter(health_rank=RANK[GREEN])
        .with_spending(today)
        .select_related("freelancer")
    )
    forecasts = selectors.forecasts(green, today)
    rows = []
    for project in green:
        result = forecasts[project.pk]
        if not result.crossings:
            continue
        dates = [result.contingency_runs_out_on if result.passes_contingency else None, result.finish_on]
        rows.append(
            HeadingForTrouble(
                project=project,
                outlook=forecast.outlook(result) if show_money else forecast.outlook_without_money(result),
                crossing_on=min(day for day in dates if day is not None),
            )
        )
    return sorted(rows, key=lambda row: (row.crossing_on, row.project.due_on, row.project.pk))


def projects_needing_attention(*, show_money, today=None):
    """Projects in progress whose budget or schedule is amber or red, the worst first, then
    those green today but forecast red: the first rows and the counts, in four queries
    however many projects there are. Returns (in trouble today, forecast red, how many more
    there are, how many are in progress).

    Today's trouble takes two: the first works out each project's health once, to group
    them by level, and returns the first few of each level (by due date) with how many each
    level holds; the second reads the rows shown. The forecasts read every green active
    project (see heading_for_trouble)."""
    today = today or timezone.localdate()
    ahead = heading_for_trouble(today, show_money=show_money)
    in_progress = Project.objects.in_progress().with_health(today)
    level = F("health_rank")
    firsts = list(
        in_progress.annotate(
            place=Window(RowNumber(), partition_by=level, order_by=[F("due_on").asc(), F("pk").asc()]),
            at_level=Window(Count("pk"), partition_by=level),
        )
        .filter(place__lte=PANEL_ROWS)
        .order_by("health_rank", "due_on", "pk")
        .values_list("pk", "health_rank", "at_level")
    )
    counts = {rank: count for _, rank, count in firsts}
    # Room is kept for a few forecast-red projects even when many are in trouble today.
    limit = PANEL_ROWS - min(len(ahead), FORECAST_ROWS)
    worst = [pk for pk, rank, _ in firsts if rank < RANK[GREEN]][:limit]
    found = in_progress.select_related("freelancer").in_bulk(worst)
    rows = [found[pk] for pk in worst]
    ahead_shown = ahead[: PANEL_ROWS - len(rows)]
    troubled = sum(count for rank, count in counts.items() if rank < RANK[GREEN])
    more = troubled + len(ahead) - len(rows) - len(ahead_shown)
    return rows, ahead_shown, more, sum(counts.values())


def week_checkins(now):
    """Check-ins due within a week and those missed in the past week, oldest first.

    A check-in missed before that is not this week's news: the check-ins page, the project's
    page and the missed-check-in and gone-quiet reminders hold it. The bound also keeps the
    panel cheap: missed check-ins of finished projects stay planned for good, so read in date
    order from the beginning (checkin_planned_idx) the first rows would come after all of them.
    """
    return list(
        CheckIn.objects.planned()
        .filter(
            project__in=Project.objects.in_progress(),
            scheduled_for__gte=now - WEEK,
            scheduled_for__lt=now + WEEK,
        )
        .select_related("project__freelancer", "milestone")
        .order_by("scheduled_for", "pk")[:PANEL_ROWS]
    )


def week_milestones(now):
    """Open milestones due within a week, overdue ones first: read in date order through
    milestone_open_due_idx, which leaves out the finished ones (nine in ten, all in the past)."""
    today = timezone.localdate(now)
    return list(
        Milestone.objects.open()
        .filter(project__in=Project.objects.in_progress(), due_on__lt=today + WEEK)
        .select_related("project")
        .order_by("due_on")[:PANEL_ROWS]
    )


def unread_updates():
    # Found through checkin_unread_update_idx, which holds only the unread ones.
    return list(
        CheckIn.objects.filter(freelancer_updated_at__isnull=False, update_read_at__isnull=True)
        .select_related("project__freelancer", "milestone")
        .order_by("-freelancer_updated_at")[:PANEL_ROWS]
    )


def pipeline():
    """How many freelancers are at each stage, and the first few in vetting or trial who
    wait on something, with how many wait: two queries however many freelancers there are.

    Whether one waits is worked out once per freelancer in vetting or trial: the count
    rides along the first rows as a window count."""
    active = Freelancer.objects.hireable()
    counts = dict(active.order_by().values_list("status").annotate(n=Count("pk")))
    stages = [(label, counts.get(value, 0), value) for value, label in Freelancer.Status.choices]
    waiting = list(
        active.filter(status__in=[Freelancer.Status.VETTING, Freelancer.Status.TRIAL])
        .with_vetting()
        .vetting_incomplete()
        .annotate(waiting_count=Window(Count("pk")))
        .order_by("name", "pk")[:PANEL_ROWS]
    )
    return stages, waiting, waiting[0].waiting_count if waiting else 0


@dataclass
class BenchRow:
    skill: str
    skill_id: int | None  # None for those with no skill recorded
    freelancers: list
    more: int


def bench():
    """Approved freelancers free now (on no project in progress), by skill: the backup pool.

    The first skills by name (those with no skill recorded last), each with its first
    names and how many more there are: the counts in one query, the names in another."""
    busy = Project.objects.in_progress().filter(freelancer=OuterRef("pk"))
    free = Freelancer.objects.hireable().filter(status=Freelancer.Status.APPROVED).exclude(Exists(busy))
    by_skill = list(
        free.values_list("skills__name", "skills")
        .annotate(n=Count("pk"))
        .order_by(F("skills__name").asc(nulls_last=True))
    )
    shown = by_skill[:BENCH_SKILLS]
    if not shown:
        return [], 0
    skill_ids = [skill_id for _, skill_id, _ in shown if skill_id is not None]
    in_shown = Q(skill_id__in=skill_ids)
    if any(skill_id is None for _, skill_id, _ in shown):
        in_shown |= Q(skill_id__isnull=True)
    first = (
        free.annotate(
            skill_id=F("skills"),
            place=Window(RowNumber(), partition_by=F("skills"), order_by=[F("name").asc(), F("pk").asc()]),
        )
        .filter(in_shown, place__lte=BENCH_NAMES)
        .only("pk", "name")
        .order_by("name", "pk")
    )
    names = {}
    for freelancer in first:
        names.setdefault(freelancer.skill_id, []).append(freelancer)
    rows = [
        BenchRow(
            skill=name or NO_SKILL,
            skill_id=skill_id,
            freelancers=names.get(skill_id, []),
            more=count - len(names.get(skill_id, [])),
        )
        for name, skill_id, count in shown
    ]
    return rows, len(by_skill) - len(shown)


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
        attention, ahead, more, in_progress_count = projects_needing_attention(
            show_money=can_see_money(user), today=timezone.localdate(now)
        )
        context["attention"] = attention
        context["heading_for_trouble"] = ahead
        context["attention_more"] = more
        context["in_progress_count"] = in_progress_count
    if "week_checkins" in allowed:
        context["week_checkins"] = week_checkins(now)
    if "week_milestones" in allowed:
        context["week_milestones"] = week_milestones(now)
    if "updates" in allowed:
        context["updates"] = unread_updates()
    if "pipeline" in allowed:
        context["stages"], context["waiting"], waiting_count = pipeline()
        context["waiting_more"] = waiting_count - len(context["waiting"])
    if "bench" in allowed:
        context["bench"], context["bench_more_skills"] = bench()
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
