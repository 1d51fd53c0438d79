"""Spreadsheet export of milestones, in the same columns and formats as the projects'
(projects.resources): export only, since milestones are written through the services."""

from common.spreadsheets import TextSafeResource
from milestones.models import Milestone
from projects.resources import column, date, money


class MilestoneResource(TextSafeResource):
    money_columns = ("amount",)

    project = column("project__title", name="project")
    currency = column("project__currency", name="currency")
    due_on = date("due_on")
    amount = money("amount")

    class Meta:
        model = Milestone
        fields = ("id", "project", "order", "title", "due_on", "currency", "amount", "status")

    def get_queryset(self):
        return Milestone.objects.select_related("project")
