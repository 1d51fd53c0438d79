"""Budget and schedule health: green, amber or red, with the reason in words.

Pure functions of numbers and dates, so each boundary is easy to test and the
same words appear on the list, the project page, the dashboard and in emails.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from common.money import format_money

GREEN, AMBER, RED = "green", "amber", "red"
CENT = Decimal("0.01")
# For sorting, red first; the SQL annotation (Project.objects.with_health) uses the same numbers.
RANK = {RED: 0, AMBER: 1, GREEN: 2}


@dataclass(frozen=True)
class Health:
    level: str
    reason: str

    @property
    def label(self):
        return {GREEN: "On track", AMBER: "At risk", RED: "In trouble"}[self.level]

    @property
    def rank(self):
        """For sorting: red first."""
        return RANK[self.level]


def percent(part, whole):
    return Decimal(0) if not whole else (Decimal(part) * 100 / Decimal(whole))


def contingency_of(budget, buffer_percent):
    """The contingency in money, to the cent, half a cent rounded up as money usually is."""
    return (budget * buffer_percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def budget_health(*, spent, budget, buffer_percent, currency):
    """Spent within the budget is green, inside the contingency amber, beyond it red."""
    contingency = contingency_of(budget, buffer_percent)
    limit = budget + contingency
    if not budget and spent > limit:
        return Health(RED, f"spent {format_money(spent, currency)} with no budget")
    used = percent(spent, budget)
    if spent <= budget:
        left = format_money(budget - spent, currency)
        return Health(GREEN, f"spent {used:.0f}% of budget, {left} left before the contingency")
    if spent <= limit:
        contingency_left = percent(limit - spent, contingency)
        return Health(AMBER, f"spent {used:.0f}% of budget, {contingency_left:.0f}% of contingency left")
    over = format_money(spent - limit, currency)
    return Health(RED, f"spent {used:.0f}% of budget, {over} beyond the contingency")


def lateness_health(*, what, days_late, leeway_days):
    """Not late is green, late inside the leeway amber, beyond it red."""
    if days_late <= 0:
        return Health(GREEN, f"{what} on time")
    left = leeway_days - days_late
    late = f"{what} {days_late} day{'s' if days_late != 1 else ''} late"
    if left >= 0:
        return Health(AMBER, f"{late}, {left} day{'s' if left != 1 else ''} of leeway left")
    return Health(RED, f"{late}, {-left} day{'s' if left != -1 else ''} beyond the leeway")


# Said instead of the budget's reason to someone who may not see money (common.policy).
BUDGET_IN_WORDS = {
    GREEN: "the budget is on track",
    AMBER: "the budget needs the owner's attention",
    RED: "the budget needs the owner's attention",
}


def without_money(budget):
    """The budget's health with its level kept and every amount and share left out."""
    return Health(budget.level, BUDGET_IN_WORDS[budget.level])


def overall_without_money(*, budget, schedule):
    """The worse of budget and schedule, in words without money: the schedule's own reason
    when the schedule decides, the neutral budget phrase when money does."""
    # On a tie the schedule's reason is kept: it says more than the neutral phrase.
    return min(schedule, without_money(budget), key=lambda health: health.rank)
