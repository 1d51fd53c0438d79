"""The budget burn chart, the portfolio and the milestone timeline: numbers, and the pages that show them."""

import datetime
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from milestones.models import Milestone
from projects import charts
from projects.tests.factories import MilestoneFactory, PaymentFactory, ProjectFactory

TODAY = datetime.date(2026, 3, 10)
DAY = datetime.timedelta(days=1)


def burn(**overrides):
    arguments = {
        "start": TODAY - 10 * DAY,
        "due": TODAY + 20 * DAY,
        "leeway_days": 3,
        "budget": Decimal("1000.00"),
        "contingency": Decimal("100.00"),
        "payments": [],
        "currency": "USD",
        "today": TODAY,
    }
    arguments.update(overrides)
    return charts.burn(**arguments)


def test_a_burn_chart_without_payments_is_a_flat_line_at_zero():
    chart = burn()

    assert chart["spent"] == "USD 0.00"
    assert chart["rows"] == []
    assert chart["spent_path"] == f"M60.0,{chart['plot']['bottom']}.0H{chart['today']['x']}"


def test_a_burn_chart_labels_the_budget_solid_and_the_contingency_dashed():
    chart = burn()

    assert chart["lines"] == [
        {"label": "Budget USD 1,000.00", "y": chart["lines"][0]["y"], "dashed": False, "dy": 14},
        {"label": "Budget + contingency USD 1,100.00", "y": chart["lines"][1]["y"], "dashed": True, "dy": -4},
    ]
    assert chart["lines"][1]["y"] < chart["lines"][0]["y"]  # higher up


def test_a_burn_chart_steps_up_at_each_payment_and_keeps_a_running_total():
    chart = burn(payments=[(TODAY - 2 * DAY, Decimal("300.00")), (TODAY - 5 * DAY, Decimal("200.00"))])

    assert [row["spent"] for row in chart["rows"]] == ["USD 200.00", "USD 500.00"]
    assert chart["spent_path"].count("V") == 2
    assert chart["spent"] == "USD 500.00"


def test_a_payment_beyond_the_contingency_stays_inside_the_chart():
    chart = burn(payments=[(TODAY, Decimal("5000.00"))])

    assert chart["spent"] == "USD 5,000.00"
    assert chart["spent_label_y"] >= chart["plot"]["top"]
    assert all(line["y"] > chart["spent_label_y"] for line in chart["lines"])


def test_a_zero_budget_burn_chart_draws_without_dividing_by_zero():
    chart = burn(budget=Decimal(0), contingency=Decimal(0))

    assert chart["lines"][0]["label"] == "Budget USD 0.00"
    assert chart["lines"][0]["y"] == chart["plot"]["bottom"]


def test_the_burn_chart_runs_to_the_last_payment_when_it_is_after_the_due_date():
    chart = burn(due=TODAY, leeway_days=0, payments=[(TODAY + 30 * DAY, Decimal("10.00"))])

    assert chart["x_labels"][-1]["text"] == f"{TODAY + 30 * DAY:%d %b}"
    assert chart["today"]["x"] < chart["plot"]["right"]


def test_a_project_not_yet_started_puts_today_at_the_left_edge():
    chart = burn(start=TODAY + 5 * DAY, due=TODAY + 20 * DAY)

    assert chart["today"]["x"] == chart["plot"]["left"]


def test_time_and_budget_shares_are_clamped():
    assert charts.share_of_time(TODAY, TODAY + 10 * DAY, TODAY - 5 * DAY) == 0
    assert charts.share_of_time(TODAY - 10 * DAY, TODAY + 10 * DAY, TODAY) == 0.5
    assert charts.share_of_time(TODAY - 100 * DAY, TODAY - 50 * DAY, TODAY) == 1.5
    assert charts.share_of_time(TODAY, TODAY, TODAY) == 1
    assert charts.share_of_budget(Decimal(0), Decimal(0)) == 0
    assert charts.share_of_budget(Decimal(5), Decimal(0)) == 1.5
    assert charts.share_of_budget(Decimal(9000), Decimal(1000)) == 1.5


def test_a_portfolio_dot_above_the_diagonal_is_over_plan():
    item = {"url": "/p/1/", "start": TODAY - 10 * DAY, "due": TODAY + 10 * DAY, "budget": Decimal(1000)}
    chart = charts.portfolio_dots(
        [
            {**item, "title": "A rather long project title indeed", "spent": Decimal(800)},
            {**item, "title": "Cheap", "spent": Decimal(100)},
        ],
        TODAY,
    )

    over, under = chart["dots"]
    assert over["over_plan"] and not under["over_plan"]
    assert (over["budget_percent"], over["time_percent"]) == (80, 50)
    assert over["label"].endswith("…") and len(over["label"]) == charts.TITLE_LENGTH
    assert over["y"] < under["y"]


def test_a_timeline_hatches_the_leeway_and_marks_late_open_milestones():
    chart = charts.bars(
        title="Relaunch",
        start=TODAY - 30 * DAY,
        due=TODAY - 5 * DAY,
        leeway_days=4,
        late=True,
        milestones=[
            {"title": "Copy", "due": TODAY - 10 * DAY, "status": "Planned", "late": True},
            {"title": "Design", "due": TODAY - 20 * DAY, "status": "Approved", "late": False},
        ],
        today=TODAY,
    )

    project, design, copy = chart["rows"]
    assert project["leeway_width"] > 0 and project["late"]
    assert (design["start"], design["due"]) == (TODAY - 30 * DAY, TODAY - 20 * DAY)
    assert (copy["start"], copy["due"]) == (TODAY - 20 * DAY, TODAY - 10 * DAY)
    assert copy["late"] and not design["late"]
    assert chart["today"]["x"] == chart["x_labels"][-1]["x"]  # the due date is past: today is the end


@pytest.mark.django_db
def test_the_project_page_shows_the_charts_with_a_title_and_a_fallback_table(owner_client):
    project = ProjectFactory(title="Shop relaunch", budget=Decimal("1000.00"))
    MilestoneFactory(project=project, title="Landing page", status=Milestone.Status.PLANNED)
    PaymentFactory(project=project, amount=Decimal("345.67"))

    response = owner_client.get(project.get_absolute_url())

    page = response.text
    assert response.status_code == HTTPStatus.OK
    assert '<svg role="img"' in page
    assert '<title id="burn-title-' in page and "Budget burn of Shop relaunch</title>" in page
    assert "Timeline of Shop relaunch</title>" in page
    assert "Budget USD 1,000.00" in page
    assert '<table class="visually-hidden">' in page
    assert "<td>USD 345.67</td>" in page
    assert "<td>Landing page</td>" in page
    assert "<script" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]


@pytest.mark.django_db
def test_the_burn_chart_is_left_out_for_someone_who_may_not_see_payments(client, django_user_model):
    user = django_user_model.objects.create_user(username="viewer", password="a-long-test-password")
    user.user_permissions.add(Permission.objects.get(codename="view_project"))
    client.force_login(user)
    project = ProjectFactory()

    page = client.get(project.get_absolute_url()).text

    assert "Timeline of" in page
    assert "Budget burn of" not in page


@pytest.mark.django_db
def test_the_project_list_shows_the_active_projects_in_the_portfolio(owner_client):
    ProjectFactory(title="Busy one")
    ProjectFactory(title="Sleeping one", status="on_hold")

    page = owner_client.get(reverse("projects:list")).text

    portfolio = page.split('aria-labelledby="portfolio-title', 1)[1].split("</svg>", 1)[0]
    assert "on plan" in portfolio
    assert "Busy one" in portfolio
    assert "Sleeping one" not in portfolio
