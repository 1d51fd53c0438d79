"""The Django admin for milestones and check-ins: bulk status edits, export, history.

A milestone keeps to its project's due date plus leeway here too, a status change
goes through projects.services.set_milestone_status, and a new or moved milestone
re-plans the active project's check-ins. What came of a check-in is recorded on
the check-ins page, which checks the date and keeps who recorded it.
"""

from django import forms
from django.contrib import admin
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from milestones.models import CheckIn, Milestone
from outsourcing.admin_policy import PolicyAdmin
from outsourcing.money import format_money
from projects import services
from projects.admin import HistoryExportAdmin
from projects.models import Project, leeway_problem
from projects.resources import MilestoneResource


class MilestoneAdminForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ("project", "order", "title", "due_on", "amount", "status")

    def clean(self):
        cleaned_data = super().clean()
        project, due_on = cleaned_data.get("project"), cleaned_data.get("due_on")
        if project and due_on:
            problem = leeway_problem(due_on, project.latest_acceptable_due_on)
            if problem:
                self.add_error("due_on", problem)
        return cleaned_data


class LateFilter(admin.SimpleListFilter):
    title = "late"
    parameter_name = "late"

    def lookups(self, request, model_admin):
        return [("yes", "Late and not finished")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            finished = [Milestone.Status.APPROVED, Milestone.Status.CANCELLED]
            return queryset.exclude(status__in=finished).filter(due_on__lt=timezone.localdate())
        return queryset


@admin.register(Milestone)
class MilestoneAdmin(PolicyAdmin, HistoryExportAdmin):
    form = MilestoneAdminForm
    money_fields = ("amount", "amount_with_currency", "payments")
    resource_classes = [MilestoneResource]
    list_display = ("project", "title", "due_on", "amount_with_currency", "status")
    list_display_links = ("title",)
    list_editable = ("status",)
    list_filter = ("status", LateFilter, "project__status", "due_on")
    list_select_related = ("project",)
    search_fields = ("title", "project__title")
    autocomplete_fields = ("project",)

    def save_model(self, request, obj, form, change):
        if change and form.changed_data == ["status"]:
            services.set_milestone_status(milestone=obj, status=obj.status, by=request.user)
            return
        super().save_model(request, obj, form, change)
        moved = not change or {"project", "due_on", "status"} & set(form.changed_data)
        if moved and obj.project.status == Project.Status.ACTIVE:
            # The check-in the day before a milestone follows the milestone.
            services.plan_checkins(project=obj.project)

    @admin.display(description="amount", ordering="amount")
    def amount_with_currency(self, milestone):
        return format_money(milestone.amount, milestone.project.currency)


class HeldFilter(admin.SimpleListFilter):
    title = "held"
    parameter_name = "held"

    def lookups(self, request, model_admin):
        return [("yes", "Held"), ("no", "Not held")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.held()
        if self.value() == "no":
            return queryset.planned()
        return queryset


@admin.register(CheckIn)
class CheckInAdmin(SimpleHistoryAdmin):
    list_display = ("project", "scheduled_for", "held_on", "on_track", "milestone")
    list_filter = (HeldFilter, "on_track")
    list_select_related = ("project", "milestone")
    search_fields = ("project__title", "progress_note", "questions", "next_steps")
    date_hierarchy = "scheduled_for"
    autocomplete_fields = ("project", "milestone")
    fields = (
        "project",
        "milestone",
        "scheduled_for",
        "held_on",
        "on_track",
        "progress_note",
        "questions",
        "next_steps",
    )
    # Recorded through milestones.services.record_checkin on the check-ins page.
    readonly_fields = ("held_on", "on_track", "progress_note", "questions", "next_steps")
