"""The numbers behind the project charts: coordinates, paths and labels for server-rendered SVG.

Pure functions of numbers and dates (the `*_chart(project)` wrappers only read a project's
fields and its prefetched milestones and payments; `portfolio` runs one query), so
the templates only loop and print.

Every chart is drawn WIDTH units wide and scales to its card. A phone's card is about 320 px
wide, so FONT units render at about 11 px there: text stays readable without a narrower chart.
Labels are placed here, by simple rules, from an estimate of their size (CHAR_WIDTH); the
browser tests check the result in Chromium.
"""

import datetime
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from common.money import format_money
from projects import forecast, selectors

WIDTH = 400
FONT = 14
# What a character and a line take, in ems, generously (wide system fonts such as DejaVu Sans).
CHAR_WIDTH = 0.64
ASCENT, DESCENT, LINE_HEIGHT = 0.95 * FONT, 0.25 * FONT, 1.2 * FONT
# Room left between a label and what it must not touch.
GAP = 4

# The share of time or budget beyond which the portfolio stops drawing further out.
PORTFOLIO_MAX = 1.5
# The portfolio plots at most this many projects (the ones due soonest), so the page stays bounded.
# Fifty is about what the square can number: at a hundred, one dot in nine found no room for
# its number, and drawing them (with the key beside) took a fifth of the project list's time.
PORTFOLIO_LIMIT = 50
# The performance plot's axes go from 0 to this CPI and SPI; 1 (on plan) is in the middle.
PERFORMANCE_MAX = 2.0


def _scale(value, low, high, start, end):
    """Where `value` in low..high lands on the range start..end."""
    span = high - low
    share = 0 if not span else (value - low) / span
    return round(start + share * (end - start), 1)


def _date_scale(start, end, left, right):
    days = max((end - start).days, 1)
    return lambda day: round(left + (day - start).days / days * (right - left), 1)


def _day(date):
    return f"{date.day} {date:%b}"


def text_width(text):
    return len(text) * CHAR_WIDTH * FONT


def text_box(x, y, lines, anchor="start"):
    """The box (left, top, right, bottom) of text whose first baseline is at y, one entry of
    `lines` per line, LINE_HEIGHT apart."""
    width = max(text_width(line) for line in lines)
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return (left, y - ASCENT, left + width, y + (len(lines) - 1) * LINE_HEIGHT + DESCENT)


def overlaps(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def inside(box, bounds):
    return bounds[0] <= box[0] and bounds[1] <= box[1] and box[2] <= bounds[2] and box[3] <= bounds[3]


def first_free(candidates, obstacles, bounds):
    """The first candidate box inside `bounds` touching no obstacle, or None."""
    for box in candidates:
        if inside(box, bounds) and not any(overlaps(box, obstacle) for obstacle in obstacles):
            return box
    return None


def spread(wanted, gap, low, high):
    """Positions as close as may be to `wanted`, at least `gap` apart and inside low..high, in
    the same order as `wanted`: labels whose values are close are nudged apart, the rest stay."""
    order = sorted(range(len(wanted)), key=lambda index: wanted[index])
    placed = []
    for index in order:
        placed.append(max(wanted[index], low, placed[-1] + gap if placed else low))
    if placed and placed[-1] > high:
        # Pushed past the end: move back, as little as needed, keeping the gaps.
        placed[-1] = high
        for number in range(len(placed) - 2, -1, -1):
            placed[number] = min(placed[number], placed[number + 1] - gap)
    positions = [0] * len(wanted)
    for index, position in zip(order, placed, strict=True):
        positions[index] = round(position, 1)
    return positions


def truncate(text, width):
    """`text` cut with an ellipsis to fit `width` units."""
    length = max(int(width / (CHAR_WIDTH * FONT)), 2)
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


# The forecast line stops where it would be this many times the highest line: a young
# project's first payment forecasts a steep line that would flatten the rest of the chart.
FORECAST_CEILING = 1.5


def forecast_spend(*, start, due, budget, ceiling, payments, today):
    """The dashed forecast of the burn chart: spending from today to the due date at the
    recent burn rate (projects.forecast), and the days it reaches the budget and the budget
    plus contingency before then; None when there is no rate yet or the due date has passed.
    `payments` is (paid_on, amount) pairs."""
    paid, recent = forecast.spending([(amount, day) for day, amount in payments], start=start, today=today)
    rate = forecast.burn_rate(paid_recently=recent, start=start, today=today)
    if rate is None or due <= today:
        return None
    crossings = []
    for name, target in (("budget", budget), ("contingency", ceiling)):
        day = forecast.runs_out_on(target=target, paid=paid, rate=rate, today=today)
        if paid < target and day is not None and day <= due:
            crossings.append({"name": name, "date": day, "amount": target})
    return {
        "paid": paid,
        "rate": rate,
        "end": paid + rate * (due - today).days,
        "crossings": crossings,
    }


def burn(*, start, due, leeway_days, budget, contingency, payments, currency, today):
    """The budget burn chart: cumulative spent as a step line against the budget (solid)
    and the budget plus contingency (dashed), from the start to the latest of the due date
    plus leeway, today and the last payment. `payments` is (paid_on, amount) pairs. A dashed
    forecast line runs from today to the due date at the recent burn rate, with a mark where
    it crosses the budget and the budget plus contingency.

    The two lines are labelled in a column to the right of the plot, nudged apart when they
    are close; the spent label sits by the end of the step line, never across either line;
    a crossing's label sits above the top line or below the bottom one, clear of the rest."""
    left, top, bottom = 4, 30, 220
    height = bottom + 26
    payments = sorted(payments)
    end = max([due + datetime.timedelta(days=leeway_days), today, *(day for day, _ in payments)])

    ceiling = budget + contingency
    rows, total = [], Decimal(0)
    for day, amount in payments:
        total += amount
        rows.append(
            {"date": day, "amount": format_money(amount, currency), "spent": format_money(total, currency)}
        )
    ahead = forecast_spend(
        start=start, due=due, budget=budget, ceiling=ceiling, payments=payments, today=today
    )
    highest = float(max(ceiling, total))
    forecast_top = min(float(ahead["end"]), highest * FORECAST_CEILING) if ahead else 0
    # Headroom above the highest line leaves room for a label above it.
    top_value = max(highest, forecast_top) * 1.15 or 1.0

    def y(amount):
        return _scale(float(amount), 0, top_value, bottom, top)

    references = [
        {"lines": ["Budget", format_money(budget, currency)], "y": y(budget), "dashed": False},
        {"lines": ["With contingency", format_money(ceiling, currency)], "y": y(ceiling), "dashed": True},
    ]
    column = max(text_width(line) for reference in references for line in reference["lines"])
    right = round(WIDTH - GAP - column - 14, 1)
    x = _date_scale(start, end, left, right)

    # The step line: flat until each payment, then up by its amount; it stops at today
    # (or at the last payment, when a payment is dated later).
    path, total = [f"M{x(start)},{y(0)}"], Decimal(0)
    for day, amount in payments:
        total += amount
        path.append(f"H{x(max(day, start))}V{y(total)}")
    end_x = x(max(today, payments[-1][0] if payments else start, start))
    path.append(f"H{end_x}")

    # Reference labels: the first line's middle level with its line where there is room.
    middle = 0.35 * FONT
    label_height = ASCENT + LINE_HEIGHT + DESCENT
    baselines = spread(
        [reference["y"] + middle for reference in references],
        label_height + GAP,
        ASCENT + 2,
        height - 2 - DESCENT - LINE_HEIGHT,
    )
    for reference, baseline in zip(references, baselines, strict=True):
        reference.update(
            leader_x=right + 10,
            label_x=right + 14,
            label_y=baseline,
            leader_y=round(baseline - middle, 1),
            box=text_box(right + 14, baseline, reference["lines"]),
        )

    spent_label = f"Spent {format_money(total, currency)}"
    spent_label_box = place_beside_end(
        spent_label, end_x, y(total), [r["y"] for r in references], (left, top, right, bottom)
    )

    today_label = "today"
    half = text_width(today_label) / 2
    today_x = x(min(max(today, start), end))
    budget_label = f"Budget {format_money(budget, currency)}"
    ceiling_label = f"Budget + contingency {format_money(ceiling, currency)}"
    today_box = text_box(
        round(min(max(today_x, left + half), right - half), 1), top - 8, [today_label], "middle"
    )
    forecast_line = forecast_path(
        ahead,
        x=x,
        y=y,
        today=today,
        due=due,
        cap=forecast_top,
        plot=(left, top, right, bottom),
        taken=[spent_label_box, today_box],
        line_ys=[reference["y"] for reference in references],
    )
    return {
        "width": WIDTH,
        "height": height,
        "font": FONT,
        "plot": {"left": left, "right": right, "top": top, "bottom": bottom},
        "spent_path": "".join(path),
        "spent_end": {"x": end_x, "y": y(total)},
        "spent_label": spent_label,
        "spent_label_x": round(spent_label_box[0], 1),
        "spent_label_y": round(spent_label_box[1] + ASCENT, 1),
        "spent_label_box": spent_label_box,
        "lines": references,
        "line_height": LINE_HEIGHT,
        "today": {
            "x": today_x,
            "label": today_label,
            "label_x": round(min(max(today_x, left + half), right - half), 1),
            "label_y": top - 8,
        },
        "x_labels": [
            {"x": left, "text": _day(start), "anchor": "start"},
            {"x": right, "text": _day(end), "anchor": "end"},
        ],
        "x_labels_y": round(bottom + GAP + ASCENT, 1),
        "budget": budget_label,
        "ceiling": ceiling_label,
        "spent": format_money(total, currency),
        "rows": rows,
        "forecast": forecast_line,
    }


def forecast_path(ahead, *, x, y, today, due, cap, plot, taken, line_ys):
    """The forecast line's path and its crossing marks with their labels, or None.

    The line ends at the due date, or where it reaches `cap` (FORECAST_CEILING times the
    highest line) when it would climb further. Each label goes above the top reference line
    (or below the bottom one), at the mark or shifted along, where it touches nothing taken."""
    if ahead is None:
        return None
    days = (due - today).days
    end_day, end_value = days, float(ahead["end"])
    if end_value > cap and ahead["rate"]:
        end_day = (cap - float(ahead["paid"])) / float(ahead["rate"])
        end_value = cap
    start_x = x(today)
    end_x = round(start_x + (x(due) - start_x) * end_day / days, 1)
    left, top, right, bottom = plot
    lines = [(left, line_y - 1, right, line_y + 1) for line_y in line_ys]
    marks, taken = [], list(taken)
    for crossing in ahead["crossings"]:
        mark_x, mark_y = x(crossing["date"]), y(crossing["amount"])
        words = f"{crossing['name']}: {forecast.day(crossing['date'], today)}"
        width = text_width(words)
        boxes = []
        for level in (min(line_ys) - GAP - DESCENT, max(line_ys) + GAP + ASCENT):
            for shift in (0.5, 0, 1, 0.25, 0.75):
                label_left = min(max(mark_x - width * shift, left + GAP), right - GAP - width)
                boxes.append(text_box(label_left, level, [words]))
        box = first_free(boxes, [*taken, *lines], (left, top, right, bottom + DESCENT)) or boxes[0]
        taken.append(box)
        marks.append(
            {
                "x": mark_x,
                "y": mark_y,
                "label": words,
                "label_x": round(box[0], 1),
                "label_y": round(box[1] + ASCENT, 1),
                "box": box,
                "date": crossing["date"],
                "name": crossing["name"],
            }
        )
    return {
        "path": f"M{start_x},{y(ahead['paid'])}L{end_x},{y(end_value)}",
        "marks": marks,
    }


def place_beside_end(label, end_x, end_y, line_ys, plot):
    """The box of a one-line label for the end of the spent line, at (end_x, end_y).

    To the left of the end point where it fits (that side is the past, under the line), shifted
    right when it does not; just above the end point, else just below, else above or below the
    nearest of the horizontal lines, whichever first crosses no line and stays in the plot.
    """
    left, top, right, bottom = plot
    width = text_width(label)
    label_left = min(max(end_x - GAP - width, left + GAP), right - GAP - width)

    def above(level):
        return (label_left, level - GAP - ASCENT - DESCENT, label_left + width, level - GAP)

    def below(level):
        return (label_left, level + GAP, label_left + width, level + GAP + ASCENT + DESCENT)

    nearest = sorted(line_ys, key=lambda line_y: abs(line_y - end_y))
    candidates = [above(end_y), below(end_y)]
    for line_y in nearest:
        candidates += [above(line_y), below(line_y)]
    lines = [(left, line_y - 1, right, line_y + 1) for line_y in line_ys]
    return first_free(candidates, lines, plot) or candidates[0]


def burn_chart(project, today=None):
    return burn(
        start=project.start_on,
        due=project.due_on,
        leeway_days=project.schedule_buffer_days,
        budget=project.budget,
        contingency=project.contingency,
        payments=[(payment.paid_on, payment.amount) for payment in project.payments.all()],
        currency=project.currency,
        today=today or timezone.localdate(),
    )


def share_of_time(start, due, today):
    """How much of start→due has passed, from 0 to PORTFOLIO_MAX."""
    days = (due - start).days
    used = (1 if today >= due else 0) if days <= 0 else (today - start).days / days
    return min(max(used, 0), PORTFOLIO_MAX)


def share_of_budget(spent, budget):
    """How much of the budget is spent, from 0 to PORTFOLIO_MAX (a zero budget with
    anything spent is as far out as the chart goes)."""
    if not budget:
        return PORTFOLIO_MAX if spent else 0
    return min(max(float(spent) / float(budget), 0), PORTFOLIO_MAX)


def portfolio_dots(items, today):
    """Budget used against time used, one dot per item (a dict with title, url, start,
    due, spent, budget). Above the diagonal is over budget for the time used.

    Dots are numbered from the most over plan down, and the numbers are the labels (the titles
    go in a key beside the chart): each number takes the first spot around its dot that
    touches no other dot or number; one that finds none is left to the key and the tooltip."""
    left, top = 44, 28
    plot = WIDTH - left - 10
    right, bottom = left + plot, top + plot
    marker = 6  # half a dot's size, with its outline

    def scale(share):
        return round(plot * share / PORTFOLIO_MAX, 1)

    dots = []
    for item in items:
        time_used = share_of_time(item["start"], item["due"], today)
        budget_used = share_of_budget(item["spent"], item["budget"])
        dots.append(
            {
                "pk": item.get("pk"),
                "title": item["title"],
                "url": item["url"],
                "x": round(left + scale(time_used), 1),
                "y": round(bottom - scale(budget_used), 1),
                "time_percent": round(time_used * 100),
                "budget_percent": round(budget_used * 100),
                "over_plan": budget_used > time_used,
                "ahead": budget_used - time_used,
            }
        )
    dots.sort(key=lambda dot: (-dot["ahead"], dot["title"]))

    hundred_x, hundred_y = left + scale(1), bottom - scale(1)
    labels = {
        "budget": {"x": left, "y": top - 8, "text": "budget used", "anchor": "start"},
        "on_plan": {"x": right, "y": top - 8, "text": "on plan ↗", "anchor": "end"},
        "hundred": {"x": left - GAP, "y": round(hundred_y + 0.35 * FONT, 1), "text": "100%", "anchor": "end"},
        "time": {
            "x": hundred_x,
            "y": round(bottom + GAP + ASCENT, 1),
            "text": "100% of time",
            "anchor": "middle",
        },
    }
    taken = [text_box(label["x"], label["y"], [label["text"]], label["anchor"]) for label in labels.values()]
    taken += [(d["x"] - marker, d["y"] - marker, d["x"] + marker, d["y"] + marker) for d in dots]
    height = bottom + 26
    for number, dot in enumerate(dots, start=1):
        dot["number"] = number
    label_dots(dots, taken, height=height, marker=marker)
    return {
        "width": WIDTH,
        "height": height,
        "font": FONT,
        "plot": {"left": left, "top": top, "right": right, "bottom": bottom, "size": plot},
        # The diagonal "on plan": budget used equals time used, from 0 to 100% and beyond.
        "diagonal": {"x1": left, "y1": bottom, "x2": right, "y2": top},
        "hundred": {"x": hundred_x, "y": hundred_y},
        "labels": list(labels.values()),
        "dots": dots,
    }


def label_dots(dots, taken, *, height, marker):
    """Give each dot its number's label in the first free spot around it (or none when
    every spot is taken), with a leader line back to the dot; `taken` grows with each."""
    for dot in dots:
        dot["corner_x"], dot["corner_y"] = round(dot["x"] - 5, 1), round(dot["y"] - 5, 1)
        spots = number_spots(str(dot["number"]), dot["x"], dot["y"], marker)
        # Only what lies within reach of the farthest spot can touch one; the rest is left out
        # before the search, which would otherwise try every dot against every spot.
        reach = (
            min(box[0] for box in spots),
            min(box[1] for box in spots),
            max(box[2] for box in spots),
            max(box[3] for box in spots),
        )
        spot = first_free(spots, [box for box in taken if overlaps(box, reach)], (0, 0, WIDTH, height))
        dot["label"] = None
        if spot:
            taken.append(spot)
            dot["label"] = {
                "x": round(spot[0], 1),
                "y": round(spot[1] + ASCENT, 1),
                "box": spot,
                "leader": leader(dot["x"], dot["y"], spot, marker),
            }


def leader(x, y, box, marker):
    """A line from a dot to its label's nearest edge, when the label sits away from the dot
    (so it is clear which dot it names); None when the label is beside it."""
    near_x, near_y = min(max(x, box[0]), box[2]), min(max(y, box[1]), box[3])
    if max(abs(near_x - x), abs(near_y - y)) <= marker + 2:
        return None
    return {"x1": x, "y1": y, "x2": round(near_x, 1), "y2": round(near_y, 1)}


def number_spots(text, x, y, marker):
    """Boxes for a dot's number: right, left, above, below, then the corners, then further out."""
    width, height = text_width(text), ASCENT + DESCENT
    spots = []
    for distance in (marker + 1, 2 * marker + 4, 3 * marker + 8, 5 * marker + 10):
        for dx, dy in [(1, 0), (-1, 0), (0, -1), (0, 1), (1, -1), (-1, -1), (1, 1), (-1, 1)]:
            label_left = {1: x + distance, -1: x - distance - width, 0: x - width / 2}[dx]
            label_top = {1: y + distance, -1: y - distance - height, 0: y - height / 2}[dy]
            spots.append((label_left, label_top, label_left + width, label_top + height))
    return spots


def portfolio(projects, today=None):
    """The portfolio of `projects` (a queryset): budget against time, and cost against
    schedule performance. One query for the projects due soonest with their spending, one
    more for their milestones (the forecasts), never their payments loaded. The projects
    are taken first and only their spending is summed (with_health's and with_spending's
    subqueries, per row shown), so the query reads the same few rows however many projects
    there are."""
    today = today or timezone.localdate()
    rows = list(
        projects.with_health(today).with_spending(today).order_by("due_on", "pk")[: PORTFOLIO_LIMIT + 1]
    )
    shown = rows[:PORTFOLIO_LIMIT]
    forecasts = selectors.forecasts(shown, today)
    chart = portfolio_dots(
        (
            {
                "pk": row.pk,
                "title": row.title,
                "url": reverse("projects:detail", args=[row.pk]),
                "start": row.start_on,
                "due": row.due_on,
                "spent": row.spent,
                "budget": row.budget,
            }
            for row in shown
        ),
        today,
    )
    chart["more"] = len(rows) > PORTFOLIO_LIMIT
    numbers = {dot["pk"]: dot["number"] for dot in chart["dots"]}
    chart["performance"] = performance_dots(
        [
            {
                "number": numbers[row.pk],
                "title": row.title,
                "url": reverse("projects:detail", args=[row.pk]),
                "cpi": forecasts[row.pk].cpi,
                "spi": forecasts[row.pk].spi,
            }
            for row in shown
        ]
    )
    for dot in chart["dots"]:
        result = forecasts[dot["pk"]]
        dot["cpi"], dot["spi"] = forecast.ratio_or_none(result.cpi), forecast.ratio_or_none(result.spi)
    return chart


# Where a project lands on the performance plot: both ratios at 1 or above, both under, or one each.
QUADRANTS = {
    (True, True): ("green", "under cost, ahead"),
    (False, True): ("amber", "over cost, ahead"),
    (True, False): ("amber", "under cost, behind"),
    (False, False): ("red", "over cost, behind"),
}


def performance_dots(items):
    """Cost performance (CPI, up) against schedule performance (SPI, across), one dot per
    item with both ratios (a dict with number, title, url, cpi, spi), numbered as in the
    portfolio's key. The lines at 1 cut the plot into four labelled quadrants: top right is
    under cost and ahead, bottom left over cost and behind. Items missing a ratio ("not
    enough data yet") are counted, not plotted; ratios beyond PERFORMANCE_MAX sit on the edge."""
    left, top = 44, 28
    size = WIDTH - left - 10
    right, bottom = left + size, top + size
    marker = 6

    def scale(value):
        return round(size * min(max(float(value), 0), PERFORMANCE_MAX) / PERFORMANCE_MAX, 1)

    dots, waiting = [], 0
    for item in items:
        if item["cpi"] is None or item["spi"] is None:
            waiting += 1
            continue
        level, quadrant = QUADRANTS[(item["cpi"] >= 1, item["spi"] >= 1)]
        dots.append(
            {
                **item,
                "x": round(left + scale(item["spi"]), 1),
                "y": round(bottom - scale(item["cpi"]), 1),
                "cpi_text": forecast.ratio_or_none(item["cpi"]),
                "spi_text": forecast.ratio_or_none(item["spi"]),
                "level": level,
                "quadrant": quadrant,
            }
        )
    middle_x, middle_y = left + scale(1), bottom - scale(1)
    corner = GAP + 2
    labels = [
        {
            "x": left + corner,
            "y": top + corner + ASCENT,
            "text": QUADRANTS[(True, False)][1],
            "anchor": "start",
        },
        {
            "x": right - corner,
            "y": top + corner + ASCENT,
            "text": QUADRANTS[(True, True)][1],
            "anchor": "end",
        },
        {
            "x": left + corner,
            "y": bottom - corner - DESCENT,
            "text": QUADRANTS[(False, False)][1],
            "anchor": "start",
        },
        {
            "x": right - corner,
            "y": bottom - corner - DESCENT,
            "text": QUADRANTS[(False, True)][1],
            "anchor": "end",
        },
        {"x": left, "y": top - 8, "text": "cost performance (CPI)", "anchor": "start"},
        {"x": left - GAP, "y": round(middle_y + 0.35 * FONT, 1), "text": "1.0", "anchor": "end"},
        {"x": middle_x, "y": round(bottom + GAP + ASCENT, 1), "text": "1.0", "anchor": "middle"},
        {"x": right, "y": round(bottom + GAP + ASCENT, 1), "text": "SPI →", "anchor": "end"},
    ]
    for label in labels:
        label["x"], label["y"] = round(label["x"], 1), round(label["y"], 1)
    taken = [text_box(label["x"], label["y"], [label["text"]], label["anchor"]) for label in labels]
    taken += [(d["x"] - marker, d["y"] - marker, d["x"] + marker, d["y"] + marker) for d in dots]
    height = bottom + 26
    label_dots(dots, taken, height=height, marker=marker)
    return {
        "width": WIDTH,
        "height": height,
        "font": FONT,
        "plot": {"left": left, "top": top, "right": right, "bottom": bottom, "size": size},
        "middle": {"x": middle_x, "y": middle_y},
        "labels": labels,
        "dots": dots,
        "waiting": waiting,
    }


def bars(*, title, start, due, leeway_days, late, milestones, today):
    """The milestone timeline: a row for the whole project (its leeway hatched after the
    due date) and one per milestone, from the previous milestone's due date (or the start)
    to its own. `milestones` is dicts with title, due, status and late.

    Each row's title sits above its bar, across the whole width, cut to fit with the full
    title kept for the tooltip and the table."""
    left, right, top = 4, WIDTH - 4, 26
    bar_height, row_height = 12, round(LINE_HEIGHT + 12 + 10)
    milestones = sorted(milestones, key=lambda m: m["due"])
    latest = due + datetime.timedelta(days=leeway_days)
    end = max([latest, today, *(m["due"] for m in milestones)])
    x = _date_scale(start, end, left, right)
    late_mark = " · late"

    rows = [
        {
            "title": title,
            "start": start,
            "due": due,
            "x": x(start),
            "width": max(x(due) - x(start), 2),
            "leeway_x": x(due),
            "leeway_width": round(x(latest) - x(due), 1),
            "status": "",
            "late": late,
        }
    ]
    previous = start
    for milestone in milestones:
        begin = min(previous, milestone["due"])
        rows.append(
            {
                "title": milestone["title"],
                "start": begin,
                "due": milestone["due"],
                "x": x(begin),
                "width": max(round(x(milestone["due"]) - x(begin), 1), 2),
                "leeway_width": 0,
                "status": milestone["status"],
                "late": milestone["late"],
            }
        )
        previous = milestone["due"]
    for number, row in enumerate(rows):
        row_top = top + number * row_height
        room = right - left - (text_width(late_mark) if row["late"] else 0)
        row["label"] = truncate(row["title"], room)
        row["text_y"] = round(row_top + ASCENT, 1)
        row["y"] = round(row_top + LINE_HEIGHT + 2, 1)
    rows_bottom = top + len(rows) * row_height
    today_x = x(min(max(today, start), end))
    half = text_width("today") / 2
    return {
        "width": WIDTH,
        "height": round(rows_bottom + GAP + ASCENT + DESCENT + 2),
        "font": FONT,
        "left": left,
        "bar_height": bar_height,
        "late_mark": late_mark,
        "rows": rows,
        "leeway_days": leeway_days,
        "latest": latest,
        "today": {
            "x": today_x,
            "label": "today",
            "label_x": round(min(max(today_x, left + half), right - half), 1),
            "label_y": round(ASCENT, 1),
            "y1": top - 6,
            "y2": rows_bottom - 6,
        },
        "x_labels": [
            {"x": left, "text": _day(start), "anchor": "start"},
            {"x": right, "text": _day(end), "anchor": "end"},
        ],
        "axis_y": round(rows_bottom + GAP + ASCENT - 6, 1),
    }


def timeline(project, today=None):
    today = today or timezone.localdate()
    finished = project.status in {project.Status.COMPLETED, project.Status.CANCELLED}
    return bars(
        title=project.title,
        start=project.start_on,
        due=project.due_on,
        leeway_days=project.schedule_buffer_days,
        late=not finished and project.due_on < today,
        milestones=[
            {
                "title": m.title,
                "due": m.due_on,
                "status": m.get_status_display(),
                "late": m.is_open and m.due_on < today,
            }
            for m in project.milestones.all()
        ],
        today=today,
    )
