"""Forecasts: earned value to the cent, every ratio defined when its denominator is zero,
the run-out and finish dates at their boundaries, and the words that explain them."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from milestones.models import Milestone
from projects import forecast
from projects.forecast import NOT_ENOUGH_DATA, two_places
from projects.health import AMBER, GREEN, RED

TODAY = datetime.date(2026, 3, 10)
DAY = datetime.timedelta(days=1)
APPROVED, PLANNED, IN_PROGRESS, CANCELLED = "approved", "planned", "in_progress", "cancelled"


def on(offset):
    return TODAY + offset * DAY


def project(**overrides):
    """A forecast of the issue's example unless told otherwise: budget 1,000.00 with 10%
    contingency, started 40 days ago, due in 40 days; 500.00 due 20 days ago and approved,
    500.00 due in 40 days and planned; 625.00 paid 10 days ago."""
    arguments = {
        "budget": Decimal("1000.00"),
        "contingency_percent": Decimal("10"),
        "currency": "USD",
        "start": on(-40),
        "due": on(40),
        "leeway_days": 3,
        "milestones": [(Decimal("500.00"), on(-20), APPROVED), (Decimal("500.00"), on(40), PLANNED)],
        "payments": [(Decimal("625.00"), on(-10))],
        "declared_percent": None,
        "today": TODAY,
    }
    arguments.update(overrides)
    return forecast.forecast(**arguments)


# The issue's example, to the cent.


def test_the_issues_example_comes_out_exactly():
    result = project()

    assert (result.bac, result.pv, result.ev, result.ac) == (
        Decimal("1000.00"),
        Decimal("666.67"),  # 500 + 500 × 20/60
        Decimal("500.00"),
        Decimal("625.00"),
    )
    assert two_places(result.cpi) == Decimal("0.80")
    assert two_places(result.spi) == Decimal("0.75")
    assert result.eac == Decimal("1250.00")
    assert result.eac_optimistic == Decimal("1125.00")  # 625 + (1,000 − 500)
    assert (result.etc, result.vac) == (Decimal("625.00"), Decimal("-250.00"))
    assert two_places(result.tcpi) == Decimal("1.33")  # 500 / 375


def test_the_issues_example_is_forecast_beyond_its_contingency_before_the_due_date():
    result = project()

    assert result.limit == Decimal("1100.00")
    # 625.00 paid within the last 30 days is 20.83 a day: 375.00 more takes 18 days, 475.00 takes 23.
    assert result.budget_runs_out_on == on(18)
    assert result.contingency_runs_out_on == on(23)
    assert result.passes_contingency
    assert forecast.contingency_reason(result) == (
        "forecast to pass the contingency on 2 Apr, 17 days before the due date"
    )


def test_the_issues_example_is_forecast_to_finish_27_days_late():
    result = project()

    # 80 planned days / SPI 0.75 = 106.7 days from the start, i.e. the 107th day.
    assert result.finish_on == on(-40 + 107)
    assert result.finishes_beyond_leeway
    assert result.crossings == ["contingency", "finish"]


def test_with_a_leeway_longer_than_the_delay_only_the_contingency_is_crossed():
    result = project(leeway_days=30)

    assert result.crossings == ["contingency"]
    assert forecast.outlook(result).level == RED


# Worked examples from public references.


def test_the_fence_example_of_pmp_exam_prep():
    """Rita Mulcahy, PMP Exam Prep, the earned value exercise on p. 210 (reproduced at
    https://studylib.net/doc/5898152/earned-value-exercise): a four-sided fence, one side a
    day at 1,000.00 each. At the end of day three sides 1 and 2 are done (1,000.00 and 1,200.00
    spent), side 3 is 50% done (600.00 spent), side 4 not started. The book gives PV 3,000,
    EV 2,500, AC 2,800, BAC 4,000, CV −300, CPI .893, SV −500, SPI .833; it divides by CPI
    rounded to .893 for EAC 4,479, ETC 1,679 and VAC −479, where the unrounded ratio gives
    4,480.00, 1,680.00 and −480.00."""
    start = on(-3)
    result = project(
        budget=Decimal("4000.00"),
        start=start,
        due=on(1),
        milestones=[
            (Decimal("1000.00"), start + 1 * DAY, APPROVED),
            (Decimal("1000.00"), start + 2 * DAY, APPROVED),
            (Decimal("1000.00"), start + 3 * DAY, IN_PROGRESS),
            (Decimal("1000.00"), start + 4 * DAY, PLANNED),
        ],
        payments=[
            (Decimal("1000.00"), start + 1 * DAY),
            (Decimal("1200.00"), start + 2 * DAY),
            (Decimal("600.00"), start + 3 * DAY),
        ],
        declared_percent=50,  # side 3, the earliest open milestone
    )

    assert (result.pv, result.ev, result.ac, result.bac) == (
        Decimal("3000.00"),
        Decimal("2500.00"),
        Decimal("2800.00"),
        Decimal("4000.00"),
    )
    assert result.ev - result.ac == Decimal("-300.00")
    assert result.ev - result.pv == Decimal("-500.00")
    assert result.cpi.quantize(Decimal("0.001")) == Decimal("0.893")
    assert result.spi.quantize(Decimal("0.001")) == Decimal("0.833")
    assert (result.eac, result.etc, result.vac) == (
        Decimal("4480.00"),
        Decimal("1680.00"),
        Decimal("-480.00"),
    )


def test_the_one_year_project_of_schwalbes_information_technology_project_management():
    """Kathy Schwalbe, Information Technology Project Management, chapter 7 (Project Cost
    Management), exercise 1 (worked at https://studylib.net/doc/9750501/team_11_ch7_number1_and_2):
    a one-year project with PV 23,000, EV 20,000, AC 25,000 and BAC 120,000 has CV −5,000,
    SV −3,000, CPI 0.8, SPI 0.87, EAC = BAC/CPI = 150,000, and takes 12 / 0.8696 = 13.8 months.

    Here the year is 365 days: a first milestone of 20,000 due on day 65 is approved and the
    other 100,000 is due at the end, so on day 74 PV = 20,000 + 100,000 × 9/300 = 23,000."""
    start = on(-74)
    result = project(
        budget=Decimal("120000.00"),
        start=start,
        due=start + 365 * DAY,
        milestones=[
            (Decimal("20000.00"), start + 65 * DAY, APPROVED),
            (Decimal("100000.00"), start + 365 * DAY, PLANNED),
        ],
        payments=[(Decimal("25000.00"), on(-1))],
    )

    assert (result.pv, result.ev, result.ac) == (
        Decimal("23000.00"),
        Decimal("20000.00"),
        Decimal("25000.00"),
    )
    assert result.ev - result.ac == Decimal("-5000.00")
    assert result.ev - result.pv == Decimal("-3000.00")
    assert two_places(result.cpi) == Decimal("0.80")
    assert two_places(result.spi) == Decimal("0.87")
    assert result.eac == Decimal("150000.00")
    # 365 days × 23/20 = 419.75 days, 13.8 months of 30.4 days: finished on the 420th day.
    assert result.finish_on == start + 420 * DAY
    assert round((result.finish_on - start).days / (365 / 12), 1) == 13.8


# Planned value.


def test_planned_value_counts_milestones_due_today_in_full():
    result = project(milestones=[(Decimal("300.00"), TODAY, PLANNED), (Decimal("700.00"), on(40), PLANNED)])

    assert result.pv == Decimal("300.00")


def test_planned_value_grows_linearly_from_the_start_before_the_first_milestone():
    result = project(start=on(-10), milestones=[(Decimal("1000.00"), on(30), PLANNED)])

    assert result.pv == Decimal("250.00")  # 10 of 40 days


def test_a_project_not_yet_started_has_planned_nothing():
    result = project(start=on(5), milestones=[(Decimal("1000.00"), on(30), PLANNED)], payments=[])

    assert result.pv == Decimal("0.00")
    assert result.spi is None
    assert result.budget_runs_out_on is None


def test_cancelled_milestones_count_for_nothing_planned_or_earned():
    result = project(
        milestones=[
            (Decimal("500.00"), on(-20), APPROVED),
            (Decimal("400.00"), on(-5), CANCELLED),
            (Decimal("500.00"), on(40), PLANNED),
        ]
    )

    assert (result.pv, result.ev) == (Decimal("666.67"), Decimal("500.00"))


def test_milestones_committing_more_than_the_budget_plan_and_earn_no_more_than_it():
    result = project(
        milestones=[(Decimal("900.00"), on(-20), APPROVED), (Decimal("900.00"), on(-1), APPROVED)]
    )

    assert (result.pv, result.ev) == (Decimal("1000.00"), Decimal("1000.00"))


# Earned value and the declared percentage.


def test_the_declared_percentage_earns_that_share_of_the_earliest_open_milestone():
    result = project(declared_percent=40)

    assert result.ev == Decimal("700.00")  # 500 + 40% of 500


def test_a_declared_percentage_without_an_open_milestone_earns_nothing_more():
    result = project(
        milestones=[(Decimal("500.00"), on(-20), APPROVED), (Decimal("500.00"), on(-5), APPROVED)],
        declared_percent=60,
    )

    assert result.ev == Decimal("1000.00")


def test_half_a_cent_of_earned_value_is_rounded_up():
    result = project(milestones=[(Decimal("0.05"), on(10), PLANNED)], declared_percent=50)

    assert result.ev == Decimal("0.03")  # 0.025


# Every ratio defined when its denominator is zero.


def test_with_nothing_paid_cpi_and_the_estimate_at_completion_are_not_enough_data():
    result = project(payments=[])

    assert (result.ac, result.cpi, result.eac, result.etc, result.vac) == (
        Decimal("0.00"),
        None,
        None,
        None,
        None,
    )
    assert result.eac_optimistic == Decimal("500.00")
    rows = {row["name"]: row for row in forecast.card(result, show_money=True)["rows"]}
    assert rows["Cost performance (CPI)"]["value"] == NOT_ENOUGH_DATA
    assert rows["Cost performance (CPI)"]["meaning"].startswith(NOT_ENOUGH_DATA)
    assert rows["Estimate at completion, at this efficiency (EAC)"]["value"] == NOT_ENOUGH_DATA


def test_with_nothing_earned_cpi_is_zero_and_the_estimate_at_completion_is_not_enough_data():
    result = project(milestones=[(Decimal("1000.00"), on(40), PLANNED)])

    assert result.cpi == 0
    assert result.eac is None
    assert result.finish_on is None  # SPI is 0: no pace to stretch the plan by
    assert forecast.finish_meaning(result).startswith(NOT_ENOUGH_DATA)


def test_without_milestones_nothing_is_planned_or_earned_and_spi_is_not_enough_data():
    result = project(milestones=[])

    assert (result.pv, result.ev, result.spi, result.finish_on) == (
        Decimal("0.00"),
        Decimal("0.00"),
        None,
        None,
    )
    assert forecast.spi_meaning(result).startswith(NOT_ENOUGH_DATA)


def test_with_the_budget_spent_tcpi_is_not_enough_to_finish_within_it():
    result = project(payments=[(Decimal("1000.00"), on(-1))])

    assert result.tcpi is None
    assert forecast.tcpi_meaning(result) == "the budget is spent: no pace finishes the work within it"


def test_a_zero_budget_earns_nothing_and_divides_by_nothing():
    result = project(budget=Decimal("0"), payments=[(Decimal("10.00"), on(-1))])

    assert (result.bac, result.ev, result.cpi, result.eac, result.tcpi) == (
        Decimal("0.00"),
        Decimal("0.00"),
        0,
        None,
        None,
    )


# The burn rate and the run-out dates.


def test_the_burn_rate_reads_the_last_30_days_and_leaves_older_payments_out():
    result = project(payments=[(Decimal("300.00"), on(-31)), (Decimal("300.00"), on(-30))])

    assert result.ac == Decimal("600.00")
    assert result.rate == Decimal("10")  # 300.00 over 30 days


def test_a_younger_project_burns_at_its_rate_since_the_start():
    result = project(start=on(-10), payments=[(Decimal("200.00"), on(-10))])

    assert result.rate == Decimal("20")


def test_on_its_first_day_a_project_has_no_burn_rate_and_no_run_out_date():
    result = project(start=TODAY, payments=[(Decimal("200.00"), TODAY)])

    assert result.rate is None
    assert (result.budget_runs_out_on, result.contingency_runs_out_on) == (None, None)
    rows = {row["name"]: row for row in forecast.card(result, show_money=True)["rows"]}
    assert rows["Budget runs out"]["meaning"].startswith(NOT_ENOUGH_DATA)


def test_payments_dated_after_today_are_not_spent_yet():
    result = project(payments=[(Decimal("625.00"), on(-10)), (Decimal("400.00"), on(3))])

    assert result.ac == Decimal("625.00")


def test_nothing_paid_lately_never_runs_out():
    result = project(payments=[(Decimal("300.00"), on(-35))])

    assert result.rate == 0
    assert result.contingency_runs_out_on is None
    assert not result.passes_contingency


def test_reaching_the_contingency_on_the_due_date_is_not_passing_it_before():
    # 1,100.00 − 800.00 = 300.00 at 10.00 a day: 30 days, on the due date itself.
    result = project(due=on(30), payments=[(Decimal("500.00"), on(-35)), (Decimal("300.00"), on(-5))])

    assert result.contingency_runs_out_on == result.due
    assert not result.passes_contingency


def test_reaching_the_contingency_the_day_before_the_due_date_is_forecast_red():
    result = project(due=on(31), payments=[(Decimal("500.00"), on(-35)), (Decimal("300.00"), on(-5))])

    assert result.contingency_runs_out_on == on(30)
    assert result.passes_contingency
    assert forecast.outlook(result).reason.startswith(
        "forecast to pass the contingency on 9 Apr, 1 day before"
    )


def test_a_contingency_already_spent_is_todays_red_not_a_forecast():
    result = project(payments=[(Decimal("1100.01"), on(-1))])

    assert result.contingency_runs_out_on == TODAY
    assert not result.passes_contingency


def test_a_run_out_date_in_another_year_names_the_year():
    result = project(
        today=datetime.date(2026, 12, 20), start=datetime.date(2026, 11, 20), due=datetime.date(2027, 2, 1)
    )

    assert forecast.day(datetime.date(2027, 1, 12), result.today) == "12 Jan 2027"
    assert forecast.day(datetime.date(2026, 12, 24), result.today) == "24 Dec"


# The outlook in words, with and without money.


def test_spending_the_budget_before_the_due_date_with_the_contingency_lasting_is_amber():
    # 750.00 over the last 30 days is 25.00 a day: 1,000.00 in 10 days, 1,100.00 in 14.
    result = project(
        due=on(12),
        start=on(-30),
        milestones=[(Decimal("1000.00"), on(12), IN_PROGRESS)],
        payments=[(Decimal("750.00"), on(-30))],
        declared_percent=75,
    )

    assert result.budget_runs_out_on == on(10)
    assert result.contingency_runs_out_on == on(14)
    assert forecast.outlook(result).level == AMBER
    assert (
        forecast.outlook(result).reason
        == "forecast to spend the budget on 20 Mar, 2 days before the due date"
    )


def test_a_project_on_course_is_green():
    # 200.00 over the last 30 days reaches the budget after the due date; 40% of the second
    # milestone declared puts the work ahead of the plan.
    result = project(
        payments=[(Decimal("300.00"), on(-35)), (Decimal("200.00"), on(-5))], declared_percent=40
    )

    assert forecast.outlook(result).level == GREEN


def test_without_money_the_contingency_forecast_keeps_its_level_and_loses_its_date():
    result = project(leeway_days=30)

    words = forecast.outlook_without_money(result)

    assert words.level == RED
    assert words.reason == "the budget is forecast to need the owner's attention before the due date"


def test_without_money_the_card_shows_spi_as_a_share_and_the_finish_and_nothing_of_cost():
    card = forecast.card(project(), show_money=False)

    assert [row["name"] for row in card["rows"]] == ["Schedule performance (SPI)", "Forecast finish"]
    assert card["rows"][0]["value"] == "75%"
    assert card["rows"][1]["value"] == "16 May"
    assert card["values"] is None


def test_with_money_the_card_states_cpi_and_spi_to_two_decimals_and_eac_as_money():
    card = forecast.card(project(), show_money=True)

    values = {row["name"]: row["value"] for row in card["rows"]}
    assert values["Cost performance (CPI)"] == "0.80"
    assert values["Schedule performance (SPI)"] == "0.75"
    assert values["Estimate at completion, at this efficiency (EAC)"] == "USD 1,250.00"
    assert values["Estimate at completion, if the rest goes to plan"] == "USD 1,125.00"
    assert values["Contingency runs out"] == "2 Apr"
    assert card["values"] == {"planned": "USD 666.67", "earned": "USD 500.00", "paid": "USD 625.00"}


def test_the_statuses_the_forecast_reads_are_the_milestones_own():
    assert forecast.APPROVED == Milestone.Status.APPROVED
    assert forecast.CANCELLED == Milestone.Status.CANCELLED


# Invariants, for any project.

money = st.decimals(min_value=0, max_value=50_000, places=2, allow_nan=False, allow_infinity=False)
positive_money = st.decimals(
    min_value="0.01", max_value=50_000, places=2, allow_nan=False, allow_infinity=False
)
offsets = st.integers(min_value=-400, max_value=400)
statuses = st.sampled_from([PLANNED, IN_PROGRESS, "submitted", APPROVED, CANCELLED])
projects = st.fixed_dictionaries(
    {
        "budget": money,
        "contingency_percent": st.decimals(min_value=0, max_value=100, places=2),
        "start": offsets,
        "length": st.integers(min_value=0, max_value=400),
        "leeway_days": st.integers(min_value=0, max_value=60),
        "milestones": st.lists(st.tuples(money, offsets, statuses), max_size=6),
        "payments": st.lists(st.tuples(positive_money, offsets), max_size=6),
        "declared_percent": st.one_of(st.none(), st.integers(min_value=0, max_value=100)),
    }
)


def any_project(drawn, **overrides):
    start = on(drawn["start"])
    arguments = {
        "budget": drawn["budget"],
        "contingency_percent": drawn["contingency_percent"],
        "start": start,
        "due": start + drawn["length"] * DAY,
        "leeway_days": drawn["leeway_days"],
        "milestones": [(amount, on(offset), status) for amount, offset, status in drawn["milestones"]],
        "payments": [(amount, on(offset)) for amount, offset in drawn["payments"]],
        "declared_percent": drawn["declared_percent"],
    }
    arguments.update(overrides)
    return project(**arguments)


@given(projects)
def test_earned_and_planned_value_never_exceed_the_budget(drawn):
    result = any_project(drawn)

    assert Decimal(0) <= result.ev <= result.bac
    assert Decimal(0) <= result.pv <= result.bac


@given(projects)
def test_cpi_is_one_whenever_earned_value_equals_actual_cost(drawn):
    earned = any_project(drawn, payments=[]).ev
    if not earned:
        return
    result = any_project(drawn, payments=[(earned, TODAY)])

    assert result.ev == result.ac
    assert result.cpi == 1
    assert result.eac == result.bac


@given(projects)
def test_the_run_out_dates_are_never_before_today(drawn):
    result = any_project(drawn)

    for date in (result.budget_runs_out_on, result.contingency_runs_out_on):
        assert date is None or date >= TODAY
    if result.contingency_runs_out_on and result.budget_runs_out_on:
        assert result.budget_runs_out_on <= result.contingency_runs_out_on


@given(projects)
def test_every_forecast_has_words_for_every_row(drawn):
    result = any_project(drawn)

    for show_money in (True, False):
        card = forecast.card(result, show_money=show_money)
        assert card["outlook"].level in {GREEN, AMBER, RED}
        assert all(row["value"] and row["meaning"] for row in card["rows"])


@given(projects)
def test_unfinished_work_is_never_forecast_to_finish_before_today(drawn):
    result = any_project(drawn)

    if result.finish_on is not None and result.ev < result.bac:
        assert result.finish_on >= TODAY


@pytest.mark.parametrize("percent", [-5, 0, 100, 140])
def test_a_declared_percentage_outside_0_to_100_is_held_inside_it(percent):
    result = project(declared_percent=percent)

    assert Decimal("500.00") <= result.ev <= Decimal("1000.00")


def test_a_pace_of_a_cent_a_year_forecasts_no_further_than_the_calendar_goes():
    result = project(
        budget=Decimal("50000.00"),
        start=on(-400),
        payments=[(Decimal("0.01"), on(-1))],
        milestones=[(Decimal("0.01"), on(-300), APPROVED), (Decimal("50000.00"), on(40), PLANNED)],
    )

    assert result.budget_runs_out_on == datetime.date.max
    assert result.finish_on == datetime.date.max
    assert forecast.outlook(result).level == RED
