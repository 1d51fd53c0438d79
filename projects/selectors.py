"""Reads for forecasts: what projects.forecast needs of many projects, in a fixed number of
queries whatever their number, and of one project on its page.

The caller bounds and loads the projects (annotated by Project.objects.with_spending(), one
query); forecasts() adds one query for all their milestones, each with the share done its
freelancer last declared of it. Python then computes each forecast.
"""

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from projects import forecast
from projects.models import Project

# Milestones and check-ins build on projects: their models are reached through the relations.
MILESTONE_FIELDS = ("project_id", "amount", "due_on", "status")


def milestone_model():
    return Project._meta.get_field("milestones").related_model


def latest_declared_share():
    """The share done last declared of the outer milestone, through the freelancer's link."""
    CheckIn = Project._meta.get_field("checkins").related_model
    return Subquery(
        CheckIn.objects.filter(freelancer_percent_of=OuterRef("pk"), freelancer_percent_done__isnull=False)
        .order_by("-freelancer_updated_at", "-pk")
        .values("freelancer_percent_done")[:1]
    )


def current_share(rows):
    """The declared share of the current milestone: the earliest-due open one, in the order
    of forecast.current_milestone (rows come by due date, then order and pk)."""
    for _amount, _due_on, status, share in rows:
        if status not in {forecast.APPROVED, forecast.CANCELLED}:
            return share
    return None


def project_forecast(project, *, milestones, paid, paid_recently, today):
    """The forecast of `project` from its milestones as (amount, due_on, status, declared share)."""
    return forecast.forecast_from_totals(
        budget=project.budget,
        contingency_percent=project.budget_buffer_percent,
        currency=project.currency,
        start=project.start_on,
        due=project.due_on,
        leeway_days=project.schedule_buffer_days,
        milestones=[row[:3] for row in milestones],
        paid=paid,
        paid_recently=paid_recently,
        declared_percent=current_share(milestones),
        today=today,
    )


def forecasts(projects, today=None):
    """{project pk: Forecast} for `projects`, already loaded with with_spending(today) by the
    caller: one query, for their milestones with each one's latest declared share."""
    today = today or timezone.localdate()
    projects = list(projects)
    by_project = {project.pk: [] for project in projects}
    if by_project:
        rows = (
            milestone_model()
            .objects.filter(project_id__in=list(by_project))
            .order_by("project_id", "due_on", "order", "pk")
            .values_list(*MILESTONE_FIELDS, latest_declared_share())
        )
        for project_id, *row in rows:
            by_project[project_id].append(tuple(row))
    return {
        project.pk: project_forecast(
            project,
            milestones=by_project[project.pk],
            paid=project.paid_to_date,
            paid_recently=project.paid_recently,
            today=today,
        )
        for project in projects
    }


def forecast_for(project, today=None):
    """The forecast of one project whose milestones and payments are prefetched
    (Project.objects.with_details()): one query, for the share declared of its milestones."""
    today = today or timezone.localdate()
    shares = dict(
        milestone_model().objects.filter(project=project).values_list("pk", latest_declared_share())
    )
    milestones = sorted(project.milestones.all(), key=lambda m: (m.due_on, m.order, m.pk))
    paid, recent = forecast.spending(
        [(payment.amount, payment.paid_on) for payment in project.payments.all()],
        start=project.start_on,
        today=today,
    )
    return project_forecast(
        project,
        milestones=[(m.amount, m.due_on, m.status, shares.get(m.pk)) for m in milestones],
        paid=paid,
        paid_recently=recent,
        today=today,
    )
