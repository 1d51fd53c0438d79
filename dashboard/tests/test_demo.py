import datetime

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from dashboard.demo.projects import PLANS, seed_projects
from freelancers.models import Freelancer
from milestones.models import CheckIn, Milestone
from projects import selectors
from projects.models import Assignment, Backup, Payment, Project, Review

pytestmark = pytest.mark.django_db

APPS = ("freelancers", "projects", "milestones")


def row_counts():
    # Every model of the three apps, the history tables included: a re-run must not even add history.
    return {
        model._meta.label: model.objects.count()
        for app in APPS
        for model in apps.get_app_config(app).get_models()
    }


@pytest.fixture
def seeded():
    seed_projects()
    return Project.objects.with_details()


def test_seeding_twice_leaves_exactly_the_rows_of_the_first_run():
    created = seed_projects()
    after_first = row_counts()

    created_again = seed_projects()

    assert (created, created_again) == (len(PLANS), 0)
    assert row_counts() == after_first
    # The plans, and the passed trial job each approved demo freelancer comes with.
    approved = Freelancer.objects.filter(status=Freelancer.Status.APPROVED).count()
    assert after_first["projects.Project"] == len(PLANS) + approved


def test_seeding_uses_the_demo_freelancers_already_there():
    ana = Freelancer.objects.create(name="Ana Souza", email="Ana.Souza@example.com")

    seed_projects()

    assert Freelancer.objects.filter(email__iexact="ana.souza@example.com").count() == 1
    assert Project.objects.filter(freelancer=ana).exists()


def test_the_projects_belong_to_the_demo_owner_or_the_one_given(django_user_model):
    chosen = django_user_model.objects.create_user(username="olivia")

    seed_projects(owner=chosen)

    assert set(Project.objects.values_list("owner", flat=True)) == {chosen.pk}


def test_without_a_demo_owner_the_first_superuser_owns_them(django_user_model):
    django_user_model.objects.create_user(username="sam")
    boss = django_user_model.objects.create_superuser(username="boss", password="a-long-test-password")

    seed_projects()

    assert set(Project.objects.values_list("owner", flat=True)) == {boss.pk}
    assert not get_user_model().objects.filter(username="maria.lopez").exists()


def test_there_are_projects_in_every_status(seeded):
    assert set(seeded.values_list("status", flat=True)) == set(Project.Status.values)


def test_there_is_every_health_colour_for_budget_and_for_schedule(seeded):
    assert {project.budget_health.level for project in seeded} == {"green", "amber", "red"}
    assert {project.schedule_health.level for project in seeded} == {"green", "amber", "red"}


def test_some_completed_projects_still_owe_their_review(seeded):
    owed = Project.objects.reviews_owed()

    assert owed.exists()
    assert all(project.completed_on for project in owed)


def test_there_is_a_review_that_would_not_rehire(seeded):
    review = Review.objects.get(would_rehire=Review.Rehire.NO)

    assert review.project.is_trial
    assert review.do_differently


def test_finished_trials_are_reviewed_well(seeded):
    trials = seeded.filter(is_trial=True, status=Project.Status.COMPLETED)

    assert trials.count() >= 3
    assert sum(review.rated_well for review in Review.objects.filter(project__in=trials)) >= 3


def test_milestones_come_in_every_status_and_some_are_late(seeded):
    assert set(Milestone.objects.values_list("status", flat=True)) == set(Milestone.Status.values)
    assert any(milestone.days_late > 0 for milestone in Milestone.objects.all())


def test_payments_push_some_projects_into_the_contingency_and_some_beyond(seeded):
    levels = [project.budget_health.level for project in seeded if project.payments.all()]

    assert "amber" in levels and "red" in levels
    assert Payment.objects.filter(recorded_by__isnull=False).count() == Payment.objects.count()


def test_active_projects_have_planned_check_ins_and_some_past_ones_held_with_notes(seeded):
    # plan_checkins plans up to the due date, so projects already overdue have none ahead.
    for project in seeded.filter(status=Project.Status.ACTIVE, due_on__gt=timezone.localdate()):
        assert project.checkins.upcoming().exists(), project
    held = CheckIn.objects.held()
    assert held.exists()
    assert all(checkin.progress_note and checkin.on_track for checkin in held)
    assert CheckIn.objects.overdue().exists()  # a missed one, for the dashboard


def test_some_backups_are_stale(seeded):
    backups = list(Backup.objects.all())

    assert any(backup.is_stale for backup in backups)
    assert any(not backup.is_stale for backup in backups)


def test_replaced_freelancers_keep_their_assignment_with_the_reason(seeded):
    ended = Assignment.objects.filter(ended_on__isnull=False)

    assert ended.count() >= 1
    assert all(assignment.end_reason for assignment in ended)
    for assignment in ended:
        assert assignment.project.freelancer_id != assignment.freelancer_id


def test_some_projects_are_green_today_but_forecast_red_and_the_dashboard_names_them_with_a_date(
    owner_client, owner
):
    seed_projects(owner=owner)
    today = timezone.localdate()
    green = list(Project.objects.in_progress().active().with_health(today).with_spending(today))
    green = [project for project in green if project.health.level == "green"]
    crossings = {
        project.title: result.crossings
        for project in green
        if (result := selectors.forecasts(green, today)[project.pk]).crossings
    }
    assert crossings == {
        "Spring catalogue photography": ["contingency"],
        "Website speed overhaul": ["finish"],
    }

    dashboard = owner_client.get(reverse("dashboard")).text

    run_out = today + 18 * datetime.timedelta(days=1)  # 900.00 left to 3,300.00 at 70.00 a day
    when = f"{run_out.day} {run_out:%b}" + (f" {run_out.year}" if run_out.year != today.year else "")
    assert (
        f"green today, forecast to pass the contingency on {when}, 12 days before the due date" in dashboard
    )
    assert "green today, forecast to finish on " in dashboard
    assert "after the due date, beyond its 3 days of leeway" in dashboard


def test_the_burn_chart_of_a_project_forecast_red_shows_the_crossing(owner_client, owner):
    seed_projects(owner=owner)
    project = Project.objects.get(title="Spring catalogue photography")

    page = owner_client.get(project.get_absolute_url()).text

    chart = page.split('aria-labelledby="burn-title-', 1)[1].split("</svg>", 1)[0]
    assert '<path class="forecast"' in chart
    assert 'class="forecast-crossing-label"' in chart
    assert ">contingency: " in chart
    assert "Forecast: In trouble" in page
