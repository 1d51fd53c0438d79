"""The dashboard: what needs attention today, in a fixed number of queries."""

import datetime
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard.panels import BENCH_NAMES, BENCH_SKILLS, PANEL_ROWS
from freelancers.models import Freelancer
from freelancers.tests.factories import (
    AccessGrantFactory,
    FreelancerFactory,
    SkillFactory,
    vetted_freelancer,
)
from milestones.models import Reminder
from projects.models import Project
from projects.tests.factories import CheckInFactory, MilestoneFactory, PaymentFactory, ProjectFactory

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("dashboard")
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)


def test_a_project_into_its_contingency_is_shown_with_the_reason(owner_client):
    project = ProjectFactory(
        title="Shop relaunch", budget=Decimal("1000"), budget_buffer_percent=Decimal("10")
    )
    PaymentFactory(project=project, amount=Decimal("1050"))
    ProjectFactory(title="Calm project")

    response = owner_client.get(DASHBOARD)

    attention = response.context["attention"]
    assert [p.title for p in attention] == ["Shop relaunch"]
    assert "spent 105% of budget, 50% of contingency left" in response.text


def test_all_green_says_so(owner_client):
    ProjectFactory()

    assert "are on budget and on time" in owner_client.get(DASHBOARD).text


def test_this_week_puts_overdue_check_ins_first_with_a_record_button(owner_client):
    project = ProjectFactory()
    later = CheckInFactory(project=project, scheduled_for=timezone.now() + 2 * DAY)
    overdue = CheckInFactory(project=project, scheduled_for=timezone.now() - DAY)

    response = owner_client.get(DASHBOARD)

    assert response.context["week_checkins"] == [overdue, later]
    assert reverse("milestones:record", args=[overdue.pk]) in response.text


def test_this_week_leaves_out_check_ins_missed_more_than_a_week_ago_and_those_further_ahead(owner_client):
    project = ProjectFactory()
    missed_this_week = CheckInFactory(project=project, scheduled_for=timezone.now() - 7 * DAY + HOUR)
    CheckInFactory(project=project, scheduled_for=timezone.now() - 7 * DAY - HOUR)
    CheckInFactory(project=project, scheduled_for=timezone.now() + 7 * DAY + HOUR)

    response = owner_client.get(DASHBOARD)

    assert response.context["week_checkins"] == [missed_this_week]


def test_this_week_keeps_a_milestone_however_late_it_is(owner_client):
    project = ProjectFactory(start_on=timezone.localdate() - 90 * DAY)
    long_late = MilestoneFactory(project=project, due_on=timezone.localdate() - 60 * DAY)
    MilestoneFactory(project=project, due_on=timezone.localdate() - 70 * DAY, status="approved")

    response = owner_client.get(DASHBOARD)

    assert response.context["week_milestones"] == [long_late]


def test_unread_freelancer_updates_are_listed_with_their_questions(owner_client):
    CheckInFactory(
        freelancer_progress="Drafts done",
        freelancer_questions="Which font?",
        freelancer_updated_at=timezone.now(),
    )

    response = owner_client.get(DASHBOARD)

    assert "Which font?" in response.text


def test_the_owner_sees_overdue_access_and_failed_reminders_the_assistant_does_not(
    owner_client, client, assistant
):
    AccessGrantFactory(system="Bank portal", overdue=True)
    project = ProjectFactory()
    Reminder.objects.create(
        kind=Reminder.Kind.REVIEW_OWED,
        target_type_id=1,
        target_id=project.pk,
        recipient="o@example.com",
        due_slot="once",
        state=Reminder.State.FAILED,
    )

    owner_page = owner_client.get(DASHBOARD).text
    client.force_login(assistant)
    assistant_page = client.get(DASHBOARD).text

    assert "Bank portal" in owner_page and "could not be sent" in owner_page
    assert "Bank portal" not in assistant_page and "could not be sent" not in assistant_page


def test_the_pipeline_counts_each_stage_and_names_who_waits_on_what(owner_client):
    FreelancerFactory(status=Freelancer.Status.VETTING, name="Vera Vetting")
    FreelancerFactory(status=Freelancer.Status.PROSPECT)
    FreelancerFactory(status=Freelancer.Status.PROSPECT)

    response = owner_client.get(DASHBOARD)

    assert ("Prospect", 2, "prospect") in response.context["stages"]
    assert "Vera Vetting" in response.text


def test_the_bench_lists_approved_freelancers_free_now_by_skill(owner_client):
    seo = SkillFactory(name="SEO")
    free = FreelancerFactory(name="Free Fran", status=Freelancer.Status.APPROVED)
    free.skills.add(seo)
    busy = FreelancerFactory(name="Busy Bea", status=Freelancer.Status.APPROVED)
    busy.skills.add(seo)
    ProjectFactory(freelancer=busy, status=Project.Status.ACTIVE)

    bench = {row.skill: row for row in owner_client.get(DASHBOARD).context["bench"]}

    assert [f.name for f in bench["SEO"].freelancers] == ["Free Fran"]
    assert bench["SEO"].more == 0


def fill(count):
    for _ in range(count):
        project = ProjectFactory()
        MilestoneFactory(project=project, due_on=timezone.localdate() - DAY)
        PaymentFactory(project=project, amount=Decimal("1200"))
        CheckInFactory(project=project, freelancer_progress="x", freelancer_updated_at=timezone.now())
        AccessGrantFactory(freelancer=project.freelancer, overdue=True)
        FreelancerFactory(status=Freelancer.Status.APPROVED).skills.add(SkillFactory(name="SEO"))
        ProjectFactory(status=Project.Status.COMPLETED)
        heading_over("Green today, forecast red")


@pytest.mark.parametrize("count", [2, 20])
def test_the_dashboard_runs_a_fixed_number_of_queries(owner_client, django_assert_num_queries, count):
    fill(count)

    # session, user; the active projects green today with their spending, and their
    # milestones, for the forecasts; the projects in progress by health level: the first
    # few of each level and how many each holds; those shown as needing attention;
    # this week's check-ins; this week's milestones; stage counts; the first
    # freelancers waiting on vetting, with how many wait; unread updates; the bench's
    # count per skill and its first names per skill; reviews owed; user
    # permissions, group permissions; overdue grants; failed reminders; heartbeat.
    with django_assert_num_queries(19):
        response = owner_client.get(DASHBOARD)
    assert response.status_code == HTTPStatus.OK


def test_needing_attention_shows_the_worst_first_and_says_how_many_more(owner_client):
    today = timezone.localdate()
    for n in range(10):
        PaymentFactory(project=ProjectFactory(title=f"Over budget {n}"), amount=Decimal("2000"))
    ProjectFactory(title="A little late", start_on=today - 30 * DAY, due_on=today - DAY)
    ProjectFactory(title="Fine")

    response = owner_client.get(DASHBOARD)

    attention = response.context["attention"]
    assert len(attention) == 8
    assert all(project.title.startswith("Over budget") for project in attention)
    assert response.context["in_progress_count"] == 12
    assert "and 3 more" in response.content.decode()


def heading_over(title, **fields):
    """Green today (625.00 of 1,000.00 spent), forecast to pass the contingency in 23 days,
    17 before the due date; a leeway of 30 days keeps its late finish (27 days) inside."""
    today = timezone.localdate()
    fields.setdefault("schedule_buffer_days", 30)
    project = ProjectFactory(
        title=title, start_on=today - 40 * DAY, due_on=today + 40 * DAY, budget=Decimal("1000.00"), **fields
    )
    MilestoneFactory(project=project, amount=Decimal("500.00"), due_on=today - 20 * DAY, status="approved")
    MilestoneFactory(project=project, amount=Decimal("500.00"), due_on=today + 40 * DAY)
    PaymentFactory(project=project, amount=Decimal("625.00"), paid_on=today - 10 * DAY)
    return project


def short_day(date):
    today = timezone.localdate()
    return f"{date.day} {date:%b}" + (f" {date.year}" if date.year != today.year else "")


def test_a_project_green_today_but_forecast_red_is_named_with_the_reason_and_the_date(owner_client):
    heading_over("Catalogue photos")
    ProjectFactory(title="Calm project")
    run_out = timezone.localdate() + 23 * DAY

    response = owner_client.get(DASHBOARD)

    assert response.context["attention"] == []
    assert [row.project.title for row in response.context["heading_for_trouble"]] == ["Catalogue photos"]
    assert (
        f"green today, forecast to pass the contingency on {short_day(run_out)}, 17 days before the due date"
        in response.text
    )
    assert "Forecast: In trouble" in response.text
    assert "are on budget and on time" not in response.text


def test_an_assistant_is_told_of_the_forecast_without_its_money_date_but_with_the_finish(client, assistant):
    heading_over("Catalogue photos", schedule_buffer_days=3)
    finish = timezone.localdate() - 40 * DAY + 107 * DAY
    client.force_login(assistant)

    text = client.get(DASHBOARD).text

    assert (
        "green today, the budget is forecast to need the owner&#x27;s attention before the due date" in text
    )
    assert f"forecast to finish on {short_day(finish)}, 27 days after the due date" in text
    assert "pass the contingency" not in text


def test_forecast_red_projects_keep_their_rows_when_many_are_in_trouble_today(owner_client):
    for n in range(10):
        PaymentFactory(project=ProjectFactory(title=f"Over budget {n}"), amount=Decimal("2000"))
    for n in range(4):
        heading_over(f"Heading over {n}")

    response = owner_client.get(DASHBOARD)

    assert len(response.context["attention"]) == 5
    assert len(response.context["heading_for_trouble"]) == 3
    assert "and 6 more" in response.text  # 5 of 10 in trouble today, 3 of 4 forecast red


def test_a_forecast_red_project_already_in_trouble_today_is_listed_once(owner_client):
    project = heading_over("Catalogue photos")
    PaymentFactory(project=project, amount=Decimal("400.00"))  # into the contingency today

    response = owner_client.get(DASHBOARD)

    assert [p.title for p in response.context["attention"]] == ["Catalogue photos"]
    assert response.context["heading_for_trouble"] == []


def test_updates_from_freelancers_come_first_as_the_news(owner_client):
    text = owner_client.get(DASHBOARD).text

    panels = ("Updates from freelancers", "Projects needing attention", "This week")
    headings = [text.index(heading) for heading in panels]

    assert headings == sorted(headings)


def test_the_bench_names_the_first_few_per_skill_and_says_how_many_more(owner_client):
    seo = SkillFactory(name="SEO")
    for n in range(BENCH_NAMES + 2):
        FreelancerFactory(name=f"Free {n}", status=Freelancer.Status.APPROVED).skills.add(seo)
    busy = FreelancerFactory(name="Busy", status=Freelancer.Status.APPROVED)
    busy.skills.add(seo)
    ProjectFactory(freelancer=busy, status=Project.Status.ACTIVE)
    FreelancerFactory(name="Skill-less", status=Freelancer.Status.APPROVED)

    response = owner_client.get(DASHBOARD)
    bench = {row.skill: row for row in response.context["bench"]}

    assert [f.name for f in bench["SEO"].freelancers] == [f"Free {n}" for n in range(BENCH_NAMES)]
    assert bench["SEO"].more == 2
    assert [f.name for f in bench["No skill recorded"].freelancers] == ["Skill-less"]
    assert list(bench) == ["SEO", "No skill recorded"]
    assert "and 2 more" in response.text


def test_the_bench_shows_the_first_skills_and_says_how_many_more(owner_client):
    for n in range(BENCH_SKILLS + 1):
        skill = SkillFactory(name=f"Skill {n:02d}")
        FreelancerFactory(status=Freelancer.Status.APPROVED).skills.add(skill)

    response = owner_client.get(DASHBOARD)

    assert [row.skill for row in response.context["bench"]] == [f"Skill {n:02d}" for n in range(BENCH_SKILLS)]
    assert response.context["bench_more_skills"] == 1
    assert "and 1 more skill<" in response.text


def test_the_pipeline_names_the_first_who_wait_and_says_how_many_more(owner_client):
    for n in range(PANEL_ROWS + 3):
        FreelancerFactory(name=f"Waiting {n:02d}", status=Freelancer.Status.VETTING)
    vetted_freelancer(name="All done")  # in trial, waiting on nothing

    response = owner_client.get(DASHBOARD)

    assert [f.name for f in response.context["waiting"]] == [f"Waiting {n:02d}" for n in range(PANEL_ROWS)]
    assert response.context["waiting_more"] == 3
    assert "and 3 more" in response.text
