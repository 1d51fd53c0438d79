"""Spreadsheet export (CSV and XLSX) of projects and payments (milestones: milestones.resources).

Export only: a project, its milestones and its payments are written through
projects.services, which a spreadsheet import would go around. Money is a plain
decimal ("1250.00", never "1,250.00") beside its currency code, dates are ISO
(2025-03-31), so the files read the same whatever the language of the browser.
Text that a spreadsheet would run as a formula is exported as text
(common.spreadsheets).
"""

from decimal import Decimal

from import_export import fields, widgets

from common.spreadsheets import TextSafeResource
from projects.models import Payment, Project


class PlainDecimalWidget(widgets.DecimalWidget):
    def render(self, value, obj=None, **kwargs):
        if kwargs.get("force_native_type"):
            return value  # XLSX keeps numbers as numbers
        return "" if value is None else str(Decimal(value))


ISO_DATE = widgets.DateWidget(format="%Y-%m-%d")


def column(attribute, widget=None, name=None):
    """A read-only column named after what it holds; `attribute` may follow relations with "__"."""
    return fields.Field(attribute=attribute, column_name=name or attribute, widget=widget, readonly=True)


def money(attribute, name=None):
    return column(attribute, PlainDecimalWidget(), name)


def date(attribute):
    return column(attribute, ISO_DATE)


class ProjectResource(TextSafeResource):
    # Left out for whoever may not see money (common.admin_policy).
    money_columns = ("budget", "budget_buffer_percent", "spent", "committed", "budget_health_reason")

    freelancer = column("freelancer__name", name="freelancer")
    freelancer_email = column("freelancer__email", name="freelancer_email")
    owner = column("owner__username", name="owner")
    start_on = date("start_on")
    due_on = date("due_on")
    completed_on = date("completed_on")
    budget = money("budget")
    budget_buffer_percent = money("budget_buffer_percent")
    spent = money("spent")
    committed = money("committed")
    # Health is computed from the milestones and payments, which with_details() prefetches.
    budget_health = column("budget_health__level", name="budget_health")
    budget_health_reason = column("budget_health__reason", name="budget_health_reason")
    schedule_health = column("schedule_health__level", name="schedule_health")
    schedule_health_reason = column("schedule_health__reason", name="schedule_health_reason")
    progress_percent = column("progress_percent")

    class Meta:
        model = Project
        fields = (
            "id",
            "title",
            "status",
            "is_trial",
            "freelancer",
            "freelancer_email",
            "owner",
            "start_on",
            "due_on",
            "schedule_buffer_days",
            "completed_on",
            "currency",
            "budget",
            "budget_buffer_percent",
            "spent",
            "committed",
            "budget_health",
            "budget_health_reason",
            "schedule_health",
            "schedule_health_reason",
            "progress_percent",
            "checkin_every_days",
        )

    def get_queryset(self):
        return Project.objects.with_details()


class PaymentResource(TextSafeResource):
    project = column("project__title", name="project")
    currency = column("project__currency", name="currency")
    milestone = column("milestone__title", name="milestone")
    recorded_by = column("recorded_by__username", name="recorded_by")
    paid_on = date("paid_on")
    amount = money("amount")

    class Meta:
        model = Payment
        fields = ("id", "project", "paid_on", "currency", "amount", "milestone", "note", "recorded_by")

    def get_queryset(self):
        return Payment.objects.select_related("project", "milestone", "recorded_by")
