"""The numbers behind the project charts: coordinates, paths and labels for server-rendered SVG.

Pure functions of numbers and dates (the `*_chart(project)` wrappers only read a project's
fields and its prefetched milestones and payments), so the templates only loop and print.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from outsourcing.money import format_money

# The share of time or budget beyond which the portfolio stops drawing further out.
PORTFOLIO_MAX = 1.5
TITLE_LENGTH = 18


def _scale(value, low, high, start, end):
    """Where `value` in low..high lands on the pixel range start..end."""
    span = high - low
    share = 0 if not span else (value - low) / span
    return round(start + share * (end - start), 1)


def _date_scale(start, end, left, right):
    days = max((end - start).days, 1)
    return lambda day: round(left + (day - start).days / days * (right - left), 1)


def _truncate(text, length=TITLE_LENGTH):
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def burn(*, start, due, leeway_days, budget, contingency, payments, currency, today):
    """The budget burn chart: cumulative spent as a step line against the budget (solid)
    and the budget plus contingency (dashed), from the start to the latest of the due date
    plus leeway, today and the last payment. `payments` is (paid_on, amount) pairs."""
    width, height = 700, 260
    left, right, top, bottom = 60, 440, 20, 220
    payments = sorted(payments)
    end = max([due + datetime.timedelta(days=leeway_days), today, *(day for day, _ in payments)])
    x = _date_scale(start, end, left, right)

    ceiling = budget + contingency
    rows, total = [], Decimal(0)
    for day, amount in payments:
        total += amount
        rows.append(
            {"date": day, "amount": format_money(amount, currency), "spent": format_money(total, currency)}
        )
    top_value = float(max(ceiling, total)) * 1.1 or 1.0

    def y(amount):
        return _scale(float(amount), 0, top_value, bottom, top)

    # The step line: flat until each payment, then up by its amount; it stops at today
    # (or at the last payment, when a payment is dated later).
    path, total = [f"M{x(start)},{y(0)}"], Decimal(0)
    for day, amount in payments:
        total += amount
        path.append(f"H{x(max(day, start))}V{y(total)}")
    path.append(f"H{x(max(today, payments[-1][0] if payments else start, start))}")

    budget_label = f"Budget {format_money(budget, currency)}"
    ceiling_label = f"Budget + contingency {format_money(ceiling, currency)}"
    today_x = x(min(max(today, start), end))
    return {
        "width": width,
        "height": height,
        "plot": {"left": left, "right": right, "top": top, "bottom": bottom},
        "spent_path": "".join(path),
        "spent_label": f"Spent {format_money(total, currency)}",
        "spent_label_y": y(total),
        "lines": [
            {"label": budget_label, "y": y(budget), "dashed": False, "dy": 14},
            {"label": ceiling_label, "y": y(ceiling), "dashed": True, "dy": -4},
        ],
        "today": {"x": today_x, "label": "today"},
        "x_labels": [
            {"x": x(start), "text": f"{start:%d %b}", "anchor": "start"},
            {"x": x(end), "text": f"{end:%d %b}", "anchor": "end"},
        ],
        "budget": budget_label,
        "ceiling": ceiling_label,
        "spent": format_money(total, currency),
        "rows": rows,
    }


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
    due, spent, budget). Above the diagonal is over budget for the time used."""
    size, left, top, plot = 420, 50, 20, 330

    def scale(share):
        return round(plot * share / PORTFOLIO_MAX, 1)

    dots = []
    for item in items:
        time_used = share_of_time(item["start"], item["due"], today)
        budget_used = share_of_budget(item["spent"], item["budget"])
        dots.append(
            {
                "title": item["title"],
                "label": _truncate(item["title"]),
                "url": item["url"],
                "x": round(left + scale(time_used), 1),
                "y": round(top + plot - scale(budget_used), 1),
                "corner_x": round(left + scale(time_used) - 5, 1),
                "corner_y": round(top + plot - scale(budget_used) - 5, 1),
                "time_percent": round(time_used * 100),
                "budget_percent": round(budget_used * 100),
                "over_plan": budget_used > time_used,
            }
        )
    return {
        "width": left + plot + 150,
        "height": size,
        "plot": {"left": left, "top": top, "right": left + plot, "bottom": top + plot, "size": plot},
        # The diagonal "on plan": budget used equals time used, from 0 to 100% and beyond.
        "diagonal": {"x1": left, "y1": top + plot, "x2": left + plot, "y2": top},
        "hundred": {"x": left + scale(1), "y": top + plot - scale(1)},
        "dots": dots,
    }


def portfolio(projects, today=None):
    return portfolio_dots(
        (
            {
                "title": project.title,
                "url": project.get_absolute_url(),
                "start": project.start_on,
                "due": project.due_on,
                "spent": project.spent,
                "budget": project.budget,
            }
            for project in projects
        ),
        today or timezone.localdate(),
    )


def bars(*, title, start, due, leeway_days, late, milestones, today):
    """The milestone timeline: a row for the whole project (its leeway hatched after the
    due date) and one per milestone, from the previous milestone's due date (or the start)
    to its own. `milestones` is dicts with title, due, status and late."""
    left, right, top, row_height = 170, 600, 24, 26
    milestones = sorted(milestones, key=lambda m: m["due"])
    latest = due + datetime.timedelta(days=leeway_days)
    end = max([latest, today, *(m["due"] for m in milestones)])
    x = _date_scale(start, end, left, right)

    rows = [
        {
            "label": _truncate(title, 24),
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
                "label": _truncate(milestone["title"], 24),
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
        row["y"] = top + number * row_height
        row["text_y"] = row["y"] + 14
        row["end_x"] = round(row["x"] + row["width"] + row["leeway_width"] + 4, 1)
    height = top + len(rows) * row_height + 24
    return {
        "width": 680,
        "height": height,
        "rows": rows,
        "leeway_days": leeway_days,
        "latest": latest,
        "today": {"x": x(min(max(today, start), end)), "label": "today", "y2": height - 20},
        "x_labels": [
            {"x": x(start), "text": f"{start:%d %b}", "anchor": "start"},
            {"x": x(end), "text": f"{end:%d %b}", "anchor": "end"},
        ],
        "axis_y": height - 6,
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
