"""The budget burn chart, the portfolio and the milestone timeline: numbers, and the pages that show them."""

import datetime
import itertools
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from milestones.models import Milestone
from projects import charts
from projects.models import Project
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
    plot = chart["plot"]
    assert chart["spent_path"] == f"M{plot['left']}.0,{plot['bottom']}.0H{chart['today']['x']}"


def test_a_burn_chart_labels_the_budget_solid_and_the_contingency_dashed():
    chart = burn()

    budget, ceiling = chart["lines"]
    assert (budget["lines"], budget["dashed"]) == (["Budget", "USD 1,000.00"], False)
    assert (ceiling["lines"], ceiling["dashed"]) == (["With contingency", "USD 1,100.00"], True)
    assert ceiling["y"] < budget["y"]  # higher up
    assert chart["ceiling"] == "Budget + contingency USD 1,100.00"


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

    assert chart["lines"][0]["lines"] == ["Budget", "USD 0.00"]
    assert chart["lines"][0]["y"] == chart["plot"]["bottom"]


def test_the_burn_chart_runs_to_the_last_payment_when_it_is_after_the_due_date():
    chart = burn(due=TODAY, leeway_days=0, payments=[(TODAY + 30 * DAY, Decimal("10.00"))])

    assert chart["x_labels"][-1]["text"] == "9 Apr"
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
    assert over["y"] < under["y"]
    assert (over["number"], under["number"]) == (1, 2)  # the most over plan comes first


def test_portfolio_numbers_go_beside_their_dots_and_never_on_each_other():
    item = {"url": "/p/1/", "start": TODAY - 10 * DAY, "due": TODAY + 10 * DAY, "budget": Decimal(1000)}
    # Six projects on the very same spot, and one alone.
    same = [{**item, "title": f"Twin {n}", "spent": Decimal(300)} for n in range(6)]
    chart = charts.portfolio_dots([*same, {**item, "title": "Alone", "spent": Decimal(900)}], TODAY)

    labels = [dot["label"] for dot in chart["dots"]]
    assert all(labels)
    for a, b in itertools.combinations(labels, 2):
        assert not charts.overlaps(a["box"], b["box"])
    for dot in chart["dots"]:
        marker = (dot["x"] - 5, dot["y"] - 5, dot["x"] + 5, dot["y"] + 5)
        assert not charts.overlaps(dot["label"]["box"], marker)
    alone = chart["dots"][0]
    assert alone["title"] == "Alone" and alone["label"]["leader"] is None  # right beside its dot
    assert any(dot["label"]["leader"] for dot in chart["dots"][1:])  # further out, with a line to it


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


def test_a_timeline_cuts_a_long_title_to_fit_and_keeps_it_whole_for_the_table():
    title = "Migrate the whole product catalogue and its photographs to the new online shop"
    chart = charts.bars(
        title=title,
        start=TODAY - 30 * DAY,
        due=TODAY + 5 * DAY,
        leeway_days=4,
        late=False,
        milestones=[{"title": title, "due": TODAY - 10 * DAY, "status": "Planned", "late": True}],
        today=TODAY,
    )

    project, milestone = chart["rows"]
    room = chart["width"] - 2 * chart["left"]
    assert project["label"].endswith("…") and project["title"] == title
    assert charts.text_width(project["label"]) <= room
    assert charts.text_width(milestone["label"] + chart["late_mark"]) <= room
    assert len(milestone["label"]) < len(project["label"])  # room was left for "late"
    assert charts.truncate("Short", room) == "Short"


def test_spread_nudges_close_positions_apart_and_leaves_far_ones_alone():
    assert charts.spread([10, 12, 100], gap=20, low=0, high=200) == [10, 30, 100]
    assert charts.spread([12, 10], gap=20, low=0, high=200) == [30, 10]  # in the order given
    assert charts.spread([195, 190], gap=20, low=0, high=200) == [200, 180]  # moved back from the end
    assert charts.spread([-5], gap=20, low=0, high=200) == [0]


@pytest.mark.parametrize("contingency", ["0.00", "10.00", "100.00", "500.00"])
def test_the_line_labels_never_overlap_and_stay_level_with_their_lines_when_there_is_room(contingency):
    chart = burn(contingency=Decimal(contingency))

    budget, ceiling = chart["lines"]
    assert not charts.overlaps(budget["box"], ceiling["box"])
    assert all(line["box"][0] > chart["plot"]["right"] for line in chart["lines"])  # beside the plot
    assert all(line["box"][2] <= chart["width"] for line in chart["lines"])
    if budget["y"] - ceiling["y"] > 60:
        assert [line["leader_y"] for line in chart["lines"]] == [budget["y"], ceiling["y"]]


@pytest.mark.parametrize(
    "spent",
    ["0.00", "500.00", "990.00", "1000.00", "1010.00", "1050.00", "1090.00", "1100.00", "1110.00", "5000.00"],
)
def test_the_spent_label_never_sits_on_a_line_and_stays_in_the_plot(spent):
    chart = burn(payments=[(TODAY - DAY, Decimal(spent))])

    box, plot = chart["spent_label_box"], chart["plot"]
    assert charts.inside(box, (plot["left"], plot["top"], plot["right"], plot["bottom"]))
    assert all(not box[1] - 1 <= line["y"] <= box[3] + 1 for line in chart["lines"])
    assert chart["spent_label"] == f"Spent USD {Decimal(spent):,.2f}"


def test_the_spent_label_sits_by_the_end_of_its_line_when_nothing_is_in_the_way():
    chart = burn(start=TODAY - 30 * DAY, due=TODAY + 5 * DAY, payments=[(TODAY - DAY, Decimal("400.00"))])

    box, end = chart["spent_label_box"], chart["spent_end"]
    assert box[2] <= end["x"]  # to the left of the end point: the past
    assert end["y"] - 10 <= box[3] <= end["y"]  # just above it


def test_the_spent_label_moves_right_rather_than_out_of_the_plot_early_on():
    chart = burn(payments=[(TODAY - 9 * DAY, Decimal("400.00"))])

    assert chart["spent_label_box"][0] >= chart["plot"]["left"]
    assert chart["spent_label_box"][2] > chart["spent_end"]["x"]


# The forecast line


def heading_over(**overrides):
    """The burn chart of the issue's example: 625.00 paid 10 days into a 30-day window, due in 40 days."""
    return burn(
        start=TODAY - 40 * DAY,
        due=TODAY + 40 * DAY,
        payments=[(TODAY - 10 * DAY, Decimal("625.00"))],
        **overrides,
    )


def test_the_forecast_line_runs_from_today_to_the_due_date_and_marks_where_it_crosses_both_lines():
    chart = heading_over()

    marks = chart["forecast"]["marks"]
    assert [(mark["name"], mark["date"]) for mark in marks] == [
        ("budget", TODAY + 18 * DAY),
        ("contingency", TODAY + 23 * DAY),
    ]
    assert [mark["label"] for mark in marks] == ["budget: 28 Mar", "contingency: 2 Apr"]
    budget, ceiling = chart["lines"]
    assert [mark["y"] for mark in marks] == [budget["y"], ceiling["y"]]
    assert chart["forecast"]["path"].startswith(f"M{chart['today']['x']},{chart['spent_end']['y']}L")


def test_the_crossing_labels_touch_no_line_no_label_and_stay_in_the_plot():
    for contingency in ("0.00", "10.00", "100.00", "500.00"):
        chart = heading_over(contingency=Decimal(contingency))
        plot = chart["plot"]
        boxes = [mark["box"] for mark in chart["forecast"]["marks"]]
        assert boxes, contingency
        for box in boxes:
            assert charts.inside(
                box, (plot["left"], plot["top"], plot["right"], plot["bottom"] + charts.DESCENT)
            )
            assert all(not box[1] - 1 <= line["y"] <= box[3] + 1 for line in chart["lines"])
            assert not charts.overlaps(box, chart["spent_label_box"])
        assert all(not charts.overlaps(a, b) for a, b in itertools.combinations(boxes, 2))


def test_a_forecast_that_stays_under_the_budget_draws_the_line_without_marks():
    chart = burn(
        start=TODAY - 40 * DAY, due=TODAY + 10 * DAY, payments=[(TODAY - 10 * DAY, Decimal("30.00"))]
    )

    assert chart["forecast"]["marks"] == []
    assert chart["forecast"]["path"]


def test_a_steep_forecast_stops_at_half_again_the_highest_line_and_keeps_the_chart_readable():
    chart = burn(start=TODAY - 2 * DAY, due=TODAY + 60 * DAY, payments=[(TODAY - 2 * DAY, Decimal("900.00"))])

    end_x = float(chart["forecast"]["path"].split("L")[1].split(",")[0])
    assert end_x < chart["plot"]["right"]  # it would reach 27,900.00 by the due date
    budget, ceiling = chart["lines"]
    flat_budget, flat_ceiling = burn()["lines"]
    # The two lines stay apart: two thirds as far as with no forecast at all, not squashed together.
    assert (
        budget["y"] - ceiling["y"] >= (flat_budget["y"] - flat_ceiling["y"]) / charts.FORECAST_CEILING - 0.2
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"start": TODAY, "payments": [(TODAY, Decimal("300.00"))]},  # no rate on the first day
        {"due": TODAY, "leeway_days": 5},  # the due date has come
    ],
    ids=["first day", "due today"],
)
def test_there_is_no_forecast_line_without_a_rate_or_a_day_left(overrides):
    assert burn(**overrides)["forecast"] is None


@pytest.mark.django_db
def test_the_project_page_draws_the_forecast_with_its_crossings_in_words_too(owner_client):
    today = timezone.localdate()
    project = ProjectFactory(
        title="Shop relaunch", start_on=today - 40 * DAY, due_on=today + 40 * DAY, budget=Decimal("1000.00")
    )
    PaymentFactory(project=project, amount=Decimal("625.00"), paid_on=today - 10 * DAY)

    page = owner_client.get(project.get_absolute_url()).text

    svg = page.split('aria-labelledby="burn-title-', 1)[1].split("</svg>", 1)[0]
    crossing = today + 23 * DAY
    assert '<path class="forecast"' in svg
    assert svg.count('class="forecast-crossing"') == 2
    assert (
        f"crosses the budget on {(today + 18 * DAY):%-d %b %Y} and the contingency on {crossing:%-d %b %Y}"
        in svg
    )
    assert f"forecast to reach the contingency on {crossing:%-d %b %Y}</caption>" in page


@pytest.mark.django_db
def test_the_project_page_shows_the_charts_with_a_title_and_a_fallback_table(owner_client):
    project = ProjectFactory(title="Shop relaunch", budget=Decimal("1000.00"))
    MilestoneFactory(project=project, title="Landing page", status=Milestone.Status.PLANNED)
    PaymentFactory(project=project, amount=Decimal("345.67"))

    response = owner_client.get(project.get_absolute_url())

    page = response.text
    assert response.status_code == HTTPStatus.OK
    assert '<svg class="chart" role="img"' in page
    assert '<title id="burn-title-' in page and "Budget burn of Shop relaunch</title>" in page
    assert "Timeline of Shop relaunch</title>" in page
    assert "USD 1,000.00</tspan>" in page
    assert '<div class="visually-hidden"><table>' in page
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


def portfolio_titles(response):
    return [dot["title"] for dot in response.context["portfolio"]["dots"]]


@pytest.mark.django_db
def test_the_project_list_shows_the_active_projects_in_the_portfolio(owner_client):
    ProjectFactory(title="Busy one")
    ProjectFactory(title="Sleeping one", status="on_hold")
    archived = ProjectFactory(title="Put away")
    Project.objects.filter(pk=archived.pk).update(archived_at=timezone.now())

    response = owner_client.get(reverse("projects:list"))

    portfolio = response.text.split('aria-labelledby="portfolio-title', 1)[1].split("</svg>", 1)[0]
    assert "on plan" in portfolio
    assert "Busy one" in portfolio
    assert portfolio_titles(response) == ["Busy one"]


@pytest.mark.django_db
def test_the_portfolio_plots_every_active_project_whatever_the_page_and_the_filters(owner_client):
    projects = [ProjectFactory(title=f"Project {n:02}") for n in range(30)]  # more than a page
    PaymentFactory(project=projects[0], amount=Decimal("450.00"))
    PaymentFactory(project=projects[0], amount=Decimal("50.00"))
    everything = sorted(project.title for project in projects)

    filters = [{"status": "completed"}, {"freelancer": projects[0].freelancer_id}, {"health": "red"}]
    for query in [{}, {"page": 2}, {"page": 3}, *filters]:
        response = owner_client.get(reverse("projects:list"), query)
        assert sorted(portfolio_titles(response)) == everything, query

    first = next(d for d in response.context["portfolio"]["dots"] if d["title"] == "Project 00")
    assert first["budget_percent"] == 50  # both payments, summed in SQL


@pytest.mark.django_db
@pytest.mark.parametrize("count", [2, 20])
def test_the_portfolio_is_two_queries_however_many_projects_and_payments(django_assert_num_queries, count):
    for _ in range(count):
        project = ProjectFactory()
        MilestoneFactory(project=project)
        PaymentFactory(project=project)
        PaymentFactory(project=project)

    # The active projects with their payments summed; their milestones for the forecasts.
    with django_assert_num_queries(2):
        chart = charts.portfolio(Project.objects.current().active(), today=TODAY)
    assert len(chart["dots"]) == count
    assert {dot["budget_percent"] for dot in chart["dots"]} == {20}


@pytest.mark.django_db
def test_a_portfolio_with_more_projects_than_it_plots_says_so_and_keeps_those_due_soonest(monkeypatch):
    monkeypatch.setattr(charts, "PORTFOLIO_LIMIT", 2)
    for offset in [30, 10, 20]:
        ProjectFactory(title=f"Due in {offset} days", start_on=TODAY, due_on=TODAY + offset * DAY)

    chart = charts.portfolio(Project.objects.active(), today=TODAY)

    assert chart["more"]
    assert sorted(dot["title"] for dot in chart["dots"]) == ["Due in 10 days", "Due in 20 days"]
    monkeypatch.setattr(charts, "PORTFOLIO_LIMIT", 3)
    assert not charts.portfolio(Project.objects.active(), today=TODAY)["more"]


# Cost against schedule performance


def performance(*ratios):
    items = [
        {"number": n, "title": f"Project {n}", "url": f"/p/{n}/", "cpi": cpi, "spi": spi}
        for n, (cpi, spi) in enumerate(ratios, start=1)
    ]
    return charts.performance_dots(items)


def test_each_project_lands_in_its_quadrant_with_its_words():
    chart = performance(
        (Decimal("1.2"), Decimal("1.1")),
        (Decimal("0.8"), Decimal("0.75")),
        (Decimal("0.9"), Decimal("1.3")),
        (Decimal("1.0"), Decimal("0.5")),
    )

    ahead, behind, over_ahead, on_cost_behind = chart["dots"]
    assert [dot["quadrant"] for dot in chart["dots"]] == [
        "under cost, ahead",
        "over cost, behind",
        "over cost, ahead",
        "under cost, behind",
    ]
    assert [dot["level"] for dot in chart["dots"]] == ["green", "red", "amber", "amber"]
    middle = chart["middle"]
    assert ahead["x"] > middle["x"] and ahead["y"] < middle["y"]  # right and up
    assert behind["x"] < middle["x"] and behind["y"] > middle["y"]  # left and down
    assert (behind["cpi_text"], behind["spi_text"]) == ("0.80", "0.75")
    words = {label["text"] for label in chart["labels"]}
    assert {"under cost, ahead", "over cost, behind", "over cost, ahead", "under cost, behind"} <= words


def test_projects_without_both_ratios_are_counted_not_plotted_and_far_ones_sit_on_the_edge():
    chart = performance((None, Decimal("1")), (Decimal("0.5"), None), (Decimal("9"), Decimal("9")))

    assert chart["waiting"] == 2
    (far,) = chart["dots"]
    assert (far["x"], far["y"]) == (chart["plot"]["right"], chart["plot"]["top"])


def test_performance_numbers_never_sit_on_each_other_nor_on_the_quadrant_words():
    same = [(Decimal("0.95"), Decimal("0.95"))] * 6
    chart = performance(*same, (Decimal("0.1"), Decimal("0.1")), (Decimal("1.9"), Decimal("1.9")))

    words = [
        charts.text_box(label["x"], label["y"], [label["text"]], label["anchor"]) for label in chart["labels"]
    ]
    boxes = [dot["label"]["box"] for dot in chart["dots"] if dot["label"]]
    assert len(boxes) == len(chart["dots"])
    for a, b in itertools.combinations(boxes + words, 2):
        assert not charts.overlaps(a, b)


@pytest.mark.django_db
def test_the_project_list_plots_cost_against_schedule_performance_numbered_as_the_portfolio(owner_client):
    today = timezone.localdate()
    project = ProjectFactory(title="Shop relaunch", start_on=today - 40 * DAY, due_on=today + 40 * DAY)
    MilestoneFactory(project=project, amount=Decimal("500.00"), due_on=today - 20 * DAY, status="approved")
    MilestoneFactory(project=project, amount=Decimal("500.00"), due_on=today + 40 * DAY)
    PaymentFactory(project=project, amount=Decimal("625.00"), paid_on=today - 10 * DAY)
    ProjectFactory(title="Just started")

    response = owner_client.get(reverse("projects:list"))

    plot = response.text.split('aria-labelledby="performance-title', 1)[1].split("</svg>", 1)[0]
    assert "1. Shop relaunch: CPI 0.80, SPI 0.75, over cost, behind</title>" in plot
    assert "under cost, ahead" in plot
    assert "1 project not plotted: not enough data yet" in response.text
    assert "CPI 0.80 · SPI 0.75" in response.text
