"""Forecasts: earned value per project, where spending and the work are heading, in words.

Pure functions of numbers and dates, like projects/health.py: no queries, so every rule is
easy to test and the same words appear on the project page, the dashboard and in emails.
projects/selectors.py loads what they need for many projects in a fixed number of queries.

Earned value management (EVM), in the product's terms, on a given day:
- BAC, budget at completion: the project's budget.
- PV, planned value: the amounts of the milestones due on or before the day, plus the share
  of the current milestone planned so far, linear from the previous milestone's due date (or
  the start) to its own.
- EV, earned value: the amounts of the approved milestones, plus the percentage of the
  current (earliest open) milestone the freelancer declared in their latest check-in.
- AC, actual cost: what was paid up to the day.
Cancelled milestones count for nothing. PV and EV stop at BAC: milestones that commit more
than the budget cannot earn more than it.

From them: CPI = EV/AC (cost efficiency), SPI = EV/PV (schedule efficiency), EAC = BAC/CPI
(the cost at completion if the rest costs what the work so far did) beside the optimistic
AC + (BAC − EV) (if the rest goes to plan), ETC = EAC − AC, VAC = BAC − EAC and
TCPI = (BAC − EV)/(BAC − AC). Money is rounded to the cent, half a cent up as money usually
is; the ratios are taken from those cent amounts, so anyone can redo them from the page.
A ratio whose denominator is zero is None, said as "not enough data yet".

The forecast dates: at the recent burn rate (payments of the last RECENT_DAYS days, or
since the start when the project is younger, per day), the day spending reaches the budget
and the budget plus contingency; and from SPI, the day the work finishes: the planned
duration stretched by 1/SPI.
"""

import datetime
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from common.money import format_money
from projects.health import AMBER, GREEN, RED, Health, contingency_of

CENT = Decimal("0.01")
ZERO = Decimal(0)
# The burn rate looks back this many days.
RECENT_DAYS = 30
# Milestone statuses the forecast reads (the values of milestones.Milestone.Status, which
# builds on projects and so is not imported here; a test checks they agree).
APPROVED, CANCELLED = "approved", "cancelled"
NOT_ENOUGH_DATA = "not enough data yet"
# The thresholds a forecast crosses: spending the contingency before the due date, and
# finishing beyond the due date plus leeway.
CONTINGENCY, FINISH = "contingency", "finish"
# What a forecast of money is said as to someone who may not see money (common.policy).
BUDGET_FORECAST_IN_WORDS = "the budget is forecast to need the owner's attention before the due date"


def cents(amount):
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def two_places(ratio):
    """A ratio as shown: two decimals, half up; None stays None."""
    return None if ratio is None else ratio.quantize(CENT, rounding=ROUND_HALF_UP)


def ratio(part, whole):
    """part / whole, or None when whole is zero."""
    return None if not whole else Decimal(part) / Decimal(whole)


def day(date, today=None):
    """'12 Jan', with the year when it is not this year's."""
    if today is not None and date.year != today.year:
        return f"{date.day} {date:%b %Y}"
    return f"{date.day} {date:%b}"


def after(date, number):
    """`number` days after `date`; the calendar's last day when that is beyond it (a pace of
    a cent a year forecasts further than any calendar goes)."""
    return datetime.date.fromordinal(min(date.toordinal() + number, datetime.date.max.toordinal()))


def days(number):
    return f"{number} day{'s' if number != 1 else ''}"


# The three values.


def counted(milestones):
    """The milestones that count, by due date: (amount, due_on, status) without the cancelled."""
    return sorted((m for m in milestones if m[2] != CANCELLED), key=lambda m: m[1])


def planned_value(*, start, milestones, today, budget):
    """PV on `today`: the milestones due by then, and the current one's share planned so far."""
    total, previous = ZERO, start
    for amount, due_on, _status in counted(milestones):
        if due_on <= today:
            total += amount
        else:
            span = (due_on - previous).days
            done = (today - previous).days
            share = min(max(Decimal(done) / span, ZERO), Decimal(1)) if span > 0 else ZERO
            total += amount * share
            break
        previous = due_on
    return cents(min(total, budget))


def current_milestone(milestones):
    """The earliest-due open milestone (neither approved nor cancelled), or None."""
    return next((m for m in counted(milestones) if m[2] != APPROVED), None)


def earned_value(*, milestones, declared_percent, budget):
    """EV: approved milestones, plus the declared share of the current one."""
    total = sum((amount for amount, _due, status in counted(milestones) if status == APPROVED), ZERO)
    current = current_milestone(milestones)
    if current is not None and declared_percent is not None:
        share = min(max(Decimal(declared_percent), ZERO), Decimal(100)) / 100
        total += current[0] * share
    return cents(min(total, budget))


def recent_window(*, start, today):
    """(first day, number of days) of the window the burn rate is measured over: the last
    RECENT_DAYS days, or since the start when the project is younger; None on the first day
    (or before the start), when no rate can be measured yet."""
    length = min(RECENT_DAYS, (today - start).days)
    if length <= 0:
        return None
    return today - datetime.timedelta(days=length), length


def spending(payments, *, start, today):
    """(paid up to today, paid since the later of the start and RECENT_DAYS days ago) of
    (amount, paid_on) payments; Project.objects.with_spending() sums the same in SQL."""
    since = max(start, today - datetime.timedelta(days=RECENT_DAYS))
    paid = recent = ZERO
    for amount, paid_on in payments:
        if paid_on > today:
            continue
        paid += amount
        if paid_on >= since:
            recent += amount
    return paid, recent


def burn_rate(*, paid_recently, start, today):
    """Money per day over the recent window; None before a day has passed."""
    window = recent_window(start=start, today=today)
    return None if window is None else Decimal(paid_recently) / window[1]


def runs_out_on(*, target, paid, rate, today):
    """The day spending reaches `target` at `rate` a day: today when it has already, None when
    it never will at this pace (no rate, or nothing being spent). Never before today."""
    left = target - paid
    if left <= 0:
        return today
    if not rate:
        return None
    return after(today, math.ceil(left / rate))


def finishes_on(*, start, due, spi, today, done):
    """The planned duration stretched by 1/SPI from the start; None without an SPI (or with
    nothing earned yet). Unfinished work does not finish before today."""
    if not spi:
        return None
    planned = (due - start).days
    finish = after(start, math.ceil(Decimal(planned) / spi))
    return finish if done else max(finish, today)


# The forecast.


@dataclass(frozen=True)
class Forecast:
    today: datetime.date
    currency: str
    start: datetime.date
    due: datetime.date
    leeway_days: int
    bac: Decimal
    contingency: Decimal
    pv: Decimal
    ev: Decimal
    ac: Decimal
    cpi: Decimal | None
    spi: Decimal | None
    eac: Decimal | None
    eac_optimistic: Decimal
    etc: Decimal | None
    vac: Decimal | None
    tcpi: Decimal | None
    rate: Decimal | None
    budget_runs_out_on: datetime.date | None
    contingency_runs_out_on: datetime.date | None
    finish_on: datetime.date | None

    @property
    def limit(self):
        """The budget plus contingency."""
        return self.bac + self.contingency

    @property
    def latest_acceptable(self):
        return self.due + datetime.timedelta(days=self.leeway_days)

    @property
    def passes_contingency(self):
        """Forecast to spend the contingency before the due date, while today it is not yet
        spent beyond it (that is today's red budget, not a forecast)."""
        day = self.contingency_runs_out_on
        return day is not None and day < self.due and self.ac <= self.limit

    @property
    def uses_contingency(self):
        """Forecast to spend the whole budget before the due date, while today it is within it."""
        day = self.budget_runs_out_on
        return day is not None and day < self.due and self.ac <= self.bac

    @property
    def finishes_beyond_leeway(self):
        return self.finish_on is not None and self.finish_on > self.latest_acceptable

    @property
    def finishes_late(self):
        return self.finish_on is not None and self.finish_on > self.due

    @property
    def crossings(self):
        """The thresholds it is forecast to cross, while that is still ahead: CONTINGENCY
        (spending it before the due date) and FINISH (beyond the due date plus leeway; once
        that day has passed, today's schedule says so, not a forecast)."""
        names = []
        if self.passes_contingency:
            names.append(CONTINGENCY)
        if self.finishes_beyond_leeway and self.today <= self.latest_acceptable:
            names.append(FINISH)
        return names


def forecast_from_totals(
    *,
    budget,
    contingency_percent,
    currency,
    start,
    due,
    leeway_days,
    milestones,
    paid,
    paid_recently,
    declared_percent,
    today,
):
    """The forecast of a project on `today` from its payments already summed: `paid` up to
    today and `paid_recently` within recent_window(). `milestones` are (amount, due_on,
    status); `declared_percent` is the current milestone's share done, 0–100, or None."""
    bac = cents(budget)
    pv = planned_value(start=start, milestones=milestones, today=today, budget=bac)
    ev = earned_value(milestones=milestones, declared_percent=declared_percent, budget=bac)
    ac = cents(paid)
    cpi = ratio(ev, ac)
    spi = ratio(ev, pv)
    eac = cents(bac * ac / ev) if cpi else None
    rate = burn_rate(paid_recently=paid_recently, start=start, today=today)
    contingency = contingency_of(bac, Decimal(contingency_percent))
    tcpi = ratio(bac - ev, bac - ac) if bac > ac else None
    return Forecast(
        today=today,
        currency=currency,
        start=start,
        due=due,
        leeway_days=leeway_days,
        bac=bac,
        contingency=contingency,
        pv=pv,
        ev=ev,
        ac=ac,
        cpi=cpi,
        spi=spi,
        eac=eac,
        eac_optimistic=ac + (bac - ev),
        etc=None if eac is None else eac - ac,
        vac=None if eac is None else bac - eac,
        tcpi=tcpi,
        rate=rate,
        budget_runs_out_on=runs_out_on(target=bac, paid=ac, rate=rate, today=today),
        contingency_runs_out_on=runs_out_on(target=bac + contingency, paid=ac, rate=rate, today=today),
        finish_on=finishes_on(start=start, due=due, spi=spi, today=today, done=bac > 0 and ev >= bac),
    )


def forecast(
    *,
    budget,
    contingency_percent,
    currency,
    start,
    due,
    leeway_days,
    milestones,
    payments,
    declared_percent,
    today,
):
    """The forecast of a project on `today`; `payments` are (amount, paid_on)."""
    paid, recent = spending(payments, start=start, today=today)
    return forecast_from_totals(
        budget=budget,
        contingency_percent=contingency_percent,
        currency=currency,
        start=start,
        due=due,
        leeway_days=leeway_days,
        milestones=milestones,
        paid=paid,
        paid_recently=recent,
        declared_percent=declared_percent,
        today=today,
    )


# In words.


def before_due(forecast, date):
    """'5 days before the due date', 'on the due date'."""
    early = (forecast.due - date).days
    return "on the due date" if early == 0 else f"{days(early)} before the due date"


def contingency_reason(forecast):
    date = forecast.contingency_runs_out_on
    return f"forecast to pass the contingency on {day(date, forecast.today)}, {before_due(forecast, date)}"


def budget_reason(forecast):
    date = forecast.budget_runs_out_on
    return f"forecast to spend the budget on {day(date, forecast.today)}, {before_due(forecast, date)}"


def finish_reason(forecast):
    late = (forecast.finish_on - forecast.due).days
    if forecast.finishes_beyond_leeway:
        beyond = f"beyond its {days(forecast.leeway_days)} of leeway"
    else:
        beyond = "inside its leeway"
    finish = day(forecast.finish_on, forecast.today)
    return f"forecast to finish on {finish}, {days(late)} after the due date, {beyond}"


def outlook(forecast):
    """Where the project is heading: red when it is forecast to pass the contingency before
    the due date or to finish beyond the leeway, amber when it is forecast to spend the budget
    before the due date or to finish late inside the leeway, green otherwise."""
    red = []
    if forecast.passes_contingency:
        red.append(contingency_reason(forecast))
    if forecast.finishes_beyond_leeway:
        red.append(finish_reason(forecast))
    if red:
        return Health(RED, "; ".join(red))
    amber = []
    if forecast.uses_contingency:
        amber.append(budget_reason(forecast))
    if forecast.finishes_late:
        amber.append(finish_reason(forecast))
    if amber:
        return Health(AMBER, "; ".join(amber))
    return Health(GREEN, "on course for the budget and the due date")


def outlook_without_money(forecast):
    """The outlook with its level kept and nothing drawn from money: the run-out dates come
    from payments, so a budget forecast is said in neutral words, without its date."""
    if forecast.finishes_beyond_leeway:
        reasons = [finish_reason(forecast)]
        if forecast.passes_contingency:
            reasons.insert(0, BUDGET_FORECAST_IN_WORDS)
        return Health(RED, "; ".join(reasons))
    if forecast.passes_contingency:
        return Health(RED, BUDGET_FORECAST_IN_WORDS)
    if forecast.finishes_late:
        return Health(AMBER, finish_reason(forecast))
    if forecast.uses_contingency:
        return Health(AMBER, BUDGET_FORECAST_IN_WORDS)
    return Health(GREEN, "on course for the due date")


def share(ratio):
    """A ratio as a whole percentage, half up: 0.75 is '75%'."""
    return f"{(ratio * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)}%"


def spi_meaning(forecast):
    spi = two_places(forecast.spi)
    if spi is None:
        return f"{NOT_ENOUGH_DATA}: no milestone amount was planned to be done by today"
    done = share(forecast.spi)
    if spi < 1:
        return f"the work done is {done} of what the plan expected by today: behind the plan"
    if spi > 1:
        return f"the work done is {done} of what the plan expected by today: ahead of the plan"
    return "the work done is what the plan expected by today"


def finish_meaning(forecast):
    if forecast.finish_on is None:
        return f"{NOT_ENOUGH_DATA}: nothing is earned yet to measure the pace by"
    if forecast.finishes_late:
        return "at this pace, the work would " + finish_reason(forecast).removeprefix("forecast to ")
    early = (forecast.due - forecast.finish_on).days
    when = "on the due date" if early == 0 else f"{days(early)} before the due date"
    return f"at this pace, the work finishes {when}"


def cpi_meaning(forecast):
    cpi = two_places(forecast.cpi)
    if cpi is None:
        return f"{NOT_ENOUGH_DATA}: nothing has been paid"
    if not cpi:
        return "nothing is earned yet for what was paid"
    if cpi < 1:
        return f"each 1.00 paid has bought {cpi} of planned work: the work costs more than planned"
    if cpi > 1:
        return f"each 1.00 paid has bought {cpi} of planned work: the work costs less than planned"
    return "the work costs what was planned"


def against_limit(forecast, amount):
    """Where an estimate lands: within the budget, inside the contingency, or beyond it by how much."""
    if amount > forecast.limit:
        over = format_money(amount - forecast.limit, forecast.currency)
        return f"{over} beyond the budget with contingency"
    if amount > forecast.bac:
        return "inside the contingency"
    return "within the budget"


def eac_meaning(forecast):
    if forecast.eac is None:
        return f"{NOT_ENOUGH_DATA}: nothing is earned yet, or nothing paid"
    return f"if the rest costs what the work so far did: {against_limit(forecast, forecast.eac)}"


def tcpi_meaning(forecast):
    tcpi = two_places(forecast.tcpi)
    if tcpi is None:
        return "the budget is spent: no pace finishes the work within it"
    return f"each 1.00 still to pay must buy {tcpi} of work to finish within the budget"


def run_out_meaning(forecast, date, *, what, target):
    """What a run-out date means: `what` is reached when spending reaches `target`."""
    if forecast.rate is None:
        return f"{NOT_ENOUGH_DATA}: the project has not yet run a day"
    if forecast.ac >= target:
        return f"the {what} is spent already"
    if date is None:
        return f"nothing was paid in the last {RECENT_DAYS} days: at that pace the {what} lasts"
    if date <= forecast.due:
        when = before_due(forecast, date)
    else:
        when = f"{days((date - forecast.due).days)} after the due date"
    return f"at the pace of the last {RECENT_DAYS} days, spending reaches the {what} {when}"


def money_or_none(amount, currency):
    return NOT_ENOUGH_DATA if amount is None else format_money(amount, currency)


def ratio_or_none(value):
    shown = two_places(value)
    return NOT_ENOUGH_DATA if shown is None else f"{shown}"


def date_or_none(date, today):
    return "never at this pace" if date is None else day(date, today)


def card(forecast, *, show_money):
    """The Forecast card: the outlook, and rows of (name, value, meaning in one line). Without
    `show_money`, only what is drawn from the schedule: SPI (as a share), the finish date and
    the outlook in words without money."""
    money = forecast.currency
    rows = [
        {
            "name": "Schedule performance (SPI)",
            # A ratio with two decimals reads as an amount; without money it is said as a share.
            "value": ratio_or_none(forecast.spi)
            if show_money or forecast.spi is None
            else share(forecast.spi),
            "meaning": spi_meaning(forecast),
        },
        {
            "name": "Forecast finish",
            "value": NOT_ENOUGH_DATA
            if forecast.finish_on is None
            else day(forecast.finish_on, forecast.today),
            "meaning": finish_meaning(forecast),
            "against": f"due {day(forecast.due, forecast.today)} + {days(forecast.leeway_days)} of leeway",
        },
    ]
    if show_money:
        rows += [
            {
                "name": "Cost performance (CPI)",
                "value": ratio_or_none(forecast.cpi),
                "meaning": cpi_meaning(forecast),
            },
            {
                "name": "Estimate at completion, at this efficiency (EAC)",
                "value": money_or_none(forecast.eac, money),
                "meaning": eac_meaning(forecast),
                "against": f"budget with contingency {format_money(forecast.limit, money)}",
            },
            {
                "name": "Estimate at completion, if the rest goes to plan",
                "value": format_money(forecast.eac_optimistic, money),
                "meaning": "what was paid plus the work not yet earned: "
                + against_limit(forecast, forecast.eac_optimistic),
                "against": f"budget with contingency {format_money(forecast.limit, money)}",
            },
            {
                "name": "Still to pay (ETC)",
                "value": money_or_none(forecast.etc, money),
                "meaning": "the estimate at completion less what was paid",
            },
            {
                "name": "Variance at completion (VAC)",
                "value": money_or_none(forecast.vac, money),
                "meaning": "the budget less the estimate at completion: below zero is over budget",
            },
            {
                "name": "Efficiency needed (TCPI)",
                "value": ratio_or_none(forecast.tcpi),
                "meaning": tcpi_meaning(forecast),
            },
            {
                "name": "Budget runs out",
                "value": date_or_none(forecast.budget_runs_out_on, forecast.today),
                "meaning": run_out_meaning(
                    forecast, forecast.budget_runs_out_on, what="budget", target=forecast.bac
                ),
            },
            {
                "name": "Contingency runs out",
                "value": date_or_none(forecast.contingency_runs_out_on, forecast.today),
                "meaning": run_out_meaning(
                    forecast,
                    forecast.contingency_runs_out_on,
                    what="budget with contingency",
                    target=forecast.limit,
                ),
            },
        ]
    return {
        "outlook": outlook(forecast) if show_money else outlook_without_money(forecast),
        "rows": rows,
        "recent_days": RECENT_DAYS,
        "values": {
            "planned": format_money(forecast.pv, money),
            "earned": format_money(forecast.ev, money),
            "paid": format_money(forecast.ac, money),
        }
        if show_money
        else None,
    }
