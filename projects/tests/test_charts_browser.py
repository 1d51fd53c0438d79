"""The charts in a real browser, on a phone (375 px) and a desktop (1280 px): they fit the page,
their text is readable and no two labels overlap.

The data is what a busy owner has: many active projects with long titles, one beyond its
contingency, one whose spending sits just under the contingency line, many milestones.
Screenshots go to var/screenshots/charts-*.png.
"""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

# The fixtures (browser, new_page, owner_user, owner_page) come in by name, as pytest needs.
from outsourcing.tests.browser import *  # noqa: F403
from outsourcing.tests.browser import SCREENSHOTS, screenshot
from projects.models import Project
from projects.tests.factories import MilestoneFactory, PaymentFactory, ProjectFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE, DESKTOP = 375, 1280
SMALLEST_TEXT_PX = 11
LONG_TITLE = "Migrate the whole product catalogue and its photographs to the new online shop"

# Every <text> of every chart on the page: its box on screen, its rendered font size (the
# font size in SVG units times the SVG's scale on screen), its chart and its words.
MEASURE_TEXTS = """() => [...document.querySelectorAll('svg.chart')].flatMap((svg, chart) =>
  [...svg.querySelectorAll('text')].map((text) => {
    const box = text.getBoundingClientRect();
    const scale = text.getScreenCTM().a;
    return {
      chart, words: text.textContent.trim(), px: scale * parseFloat(getComputedStyle(text).fontSize),
      left: box.left, right: box.right, top: box.top, bottom: box.bottom,
      inside: (() => { const s = svg.getBoundingClientRect();
        return box.left >= s.left - 1 && box.right <= s.right + 1
          && box.top >= s.top - 1 && box.bottom <= s.bottom + 1; })(),
    };
  }))"""

# The horizontal dashed and solid reference lines (budget, budget + contingency) on screen.
MEASURE_LINES = """() => [...document.querySelectorAll('svg.chart line.reference')].map((line) => {
  const box = line.getBoundingClientRect();
  return {y: (box.top + box.bottom) / 2, left: box.left, right: box.right};
})"""


def day(offset):
    return timezone.localdate() + datetime.timedelta(days=offset)


@pytest.fixture
def busy_owner(owner_user):
    """Thirty active projects and a few on hold; the one to open has many milestones."""
    for number in range(30):
        project = ProjectFactory(
            owner=owner_user,
            title=f"{LONG_TITLE} ({number})" if number % 3 == 0 else f"Blog posts for spring, part {number}",
            start_on=day(-5 * (number % 8) - 3),
            due_on=day(4 * (number % 9) + 2),
            budget=Decimal(500 + 250 * (number % 5)),
        )
        if number % 7:
            PaymentFactory(project=project, amount=Decimal(120 * (number % 7)), paid_on=day(-1))
    for number in range(4):
        ProjectFactory(owner=owner_user, title=f"Paused work {number}", status=Project.Status.ON_HOLD)

    over = ProjectFactory(owner=owner_user, title="Over its contingency " + LONG_TITLE, budget=Decimal(1000))
    PaymentFactory(project=over, amount=Decimal("1180.00"), paid_on=day(-2))

    near = ProjectFactory(
        owner=owner_user,
        title=LONG_TITLE,
        start_on=day(-40),
        due_on=day(30),
        schedule_buffer_days=10,
        budget=Decimal("12000.00"),
    )
    for offset, amount in zip(range(-38, 0, 4), itertools.cycle(["1500.00", "1000.00", "1250.00"])):
        PaymentFactory(project=near, amount=Decimal(amount), paid_on=day(offset))
    # Spent (12,750.00) is now past the budget, just under the budget plus contingency (13,200.00).
    for number in range(10):
        MilestoneFactory(
            project=near,
            title=f"Milestone {number + 1}: {LONG_TITLE.lower()}" if number % 2 else f"Check {number + 1}",
            due_on=day(-36 + 7 * number),
            amount=Decimal("1200.00"),
        )
    return {"near": near, "over": over}


def check_charts(page, name, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.wait_for_load_state("load")
    screenshot(page, f"charts-{name}-{width}.png")
    cards = page.locator(".card", has=page.locator("svg.chart"))
    for number in range(cards.count()):
        cards.nth(number).screenshot(path=str(SCREENSHOTS / f"charts-{name}-{width}-card{number + 1}.png"))

    assert page.evaluate("document.documentElement.scrollWidth") <= width

    texts = page.evaluate(MEASURE_TEXTS)
    assert texts, "the page shows no chart"
    too_small = [(t["words"], round(t["px"], 1)) for t in texts if t["px"] < SMALLEST_TEXT_PX]
    assert too_small == []
    assert [t["words"] for t in texts if not t["inside"]] == []

    overlapping = [
        (a["words"], b["words"])
        for a, b in itertools.combinations(texts, 2)
        if a["chart"] == b["chart"] and boxes_overlap(a, b)
    ]
    assert overlapping == []

    crossed = [
        text["words"]
        for text, line in itertools.product(texts, page.evaluate(MEASURE_LINES))
        if text["top"] < line["y"] < text["bottom"]
        and text["left"] < line["right"]
        and line["left"] < text["right"]
    ]
    assert crossed == []
    return texts


def boxes_overlap(a, b, tolerance=0.5):
    return (
        a["left"] + tolerance < b["right"]
        and b["left"] + tolerance < a["right"]
        and a["top"] + tolerance < b["bottom"]
        and b["top"] + tolerance < a["bottom"]
    )


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_the_portfolio_fits_a_phone_and_a_desktop_with_readable_labels_apart(owner_page, busy_owner, width):
    owner_page.goto(reverse("projects:list"))

    texts = check_charts(owner_page, "list", width)

    # Every active project is on the chart, not only the first page of the list.
    budget_against_time = owner_page.locator('svg[aria-labelledby="portfolio-title portfolio-desc"] a')
    assert budget_against_time.count() == Project.objects.current().active().count()
    assert any(t["words"].startswith("on plan") for t in texts)
    assert any(t["words"] == "over cost, behind" for t in texts)


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
@pytest.mark.parametrize("which", ["near", "over"])
def test_a_project_pages_charts_fit_a_phone_and_a_desktop_with_readable_labels_apart(
    owner_page, busy_owner, width, which
):
    owner_page.goto(busy_owner[which].get_absolute_url())

    texts = check_charts(owner_page, f"project-{which}", width)

    words = [t["words"] for t in texts]
    assert any(w.startswith("Spent") for w in words)
    if which == "near":
        assert any(w.startswith("contingency: ") for w in words), "the forecast crossing is marked"
    if which == "near":
        assert any(w.startswith("Milestone 2") for w in words)
