"""The Django admin's project page: a project with its milestones inline, payments,
backups and assignments; bulk edits, CSV/XLSX export, history.

It saves a project and its milestones in one call to the services, as the project form
does (milestones.project_services.create_project / update_project: assignments, the trial
and do-not-hire rules, the plan's rules, the check-in plan), and its actions call
change_status, complete_project and update_project. What the project form refuses, it
refuses in the same words: a milestone due after the project's due date plus leeway,
completing a project without the completion step, an untested freelancer on a big budget.
It works on both layers, so it lives in the higher one; milestones/admin.py registers it.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from common.admin_inlines import CappedInline, CappedInlineFormSet
from common.admin_paging import LargeTableAdmin
from common.admin_policy import PolicyAdmin, PolicyInline
from common.form_errors import add_service_errors
from common.money import format_money
from common.policy import can_see_money
from freelancers.models import Freelancer
from milestones import project_services
from milestones.models import Milestone
from projects import health, services
from projects.admin import (
    AssignmentInline,
    BackupInline,
    HealthFilter,
    HistoryExportAdmin,
    PaymentInline,
    ProjectAdminForm,
    health_badge,
    refuse_completing,
)
from projects.forms import BUDGET_FIELDS
from projects.models import Backup, Payment, Project
from projects.resources import ProjectResource


class MilestoneInlineFormSet(CappedInlineFormSet):
    """Each row's due date is checked by its milestone (Milestone.clean_fields) against the
    project as edited on the same page; the rows together by the service's plan rule."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        super().clean()
        project = self.instance
        if any(self.errors) or project.due_on is None or project.budget is None:
            return
        rows = [
            form.instance for form in self.forms if form.cleaned_data and not self._should_delete_form(form)
        ]
        # The project form's confirmation box, read from the same post: the formset is checked apart.
        confirmed = forms.CheckboxInput().value_from_datadict(self.data, self.files, "confirm_over_budget")
        try:
            project_services.check_plan(
                project=project, milestones=rows, confirm_over_budget=confirmed, by=self.user
            )
        except ValidationError as error:
            raise ValidationError(error.messages) from None


class MilestoneInline(CappedInline, PolicyInline, admin.TabularInline):
    model = Milestone
    checks_the_plan = True  # its formset takes the user (ProjectAdmin.get_formset_kwargs)
    money_fields = ("amount",)
    formset = MilestoneInlineFormSet
    extra = 0
    fields = ("order", "title", "due_on", "amount", "status")


class ProjectChangelistForm(forms.ModelForm):
    """A changelist row: status and due date."""

    class Meta:
        model = Project
        fields = ("status", "due_on")

    def clean(self):
        cleaned_data = super().clean()
        refuse_completing(self, cleaned_data)
        return cleaned_data

    def _post_clean(self):
        super()._post_clean()
        # The instance now has the new date: the service's rule says which milestones it leaves late.
        if "due_on" in self.changed_data and not self.errors:
            try:
                project_services.check_plan(
                    project=self.instance,
                    milestones=project_services.plan_after(project=self.instance),
                    by=None,
                )
            except ValidationError as error:
                add_service_errors(self, error)


class ShiftForm(forms.Form):
    days = forms.IntegerField(
        label="Shift by (days)",
        min_value=-365,
        max_value=365,
        help_text="A positive number moves the milestones later, a negative one earlier.",
    )

    def clean_days(self):
        days = self.cleaned_data["days"]
        if days == 0:
            raise ValidationError("Shift by at least one day: later (positive) or earlier (negative).")
        return days


class ProjectAdmin(LargeTableAdmin, PolicyAdmin, HistoryExportAdmin):
    form = ProjectAdminForm
    money_fields = (
        "budget",
        "budget_buffer_percent",
        "payments",
        "budget_with_currency",
        "budget_health_level",
        "spent_with_currency",
        # with_health()'s amounts: a lookup through them would tell the amount.
        "spent_total",
        "committed_total",
        "contingency_amount",
        "spent_cents",
        "budget_cents",
        "contingency_cents",
        *ProjectResource.money_columns,
    )
    grant_fields = ("access_grants",)
    resource_classes = [ProjectResource]
    inlines = [MilestoneInline, PaymentInline, BackupInline, AssignmentInline]
    list_display = (
        "title",
        "freelancer",
        "status",
        "due_on",
        "budget_with_currency",
        "spent_with_currency",
        "budget_health_level",
        "budget_health_in_words",
        "schedule_health_level",
        "progress",
    )
    list_editable = ("status", "due_on")
    # No filter by freelancer: it would list every freelancer with a project on each page of
    # the list (2,000 links at 10,000 projects); the search finds them by name instead.
    list_filter = ("status", HealthFilter)
    list_select_related = ("freelancer", "owner")
    search_fields = ("title", "freelancer__name")
    autocomplete_fields = ("skills", "freelancer")
    fieldsets = (
        (None, {"fields": ("title", "brief", "skills", "is_trial", "status", "owner")}),
        (
            "Freelancer",
            {"fields": ("freelancer", "override_reason", "trust_override_reason", "trust_override_by")},
        ),
        ("Schedule", {"fields": ("start_on", "due_on", "schedule_buffer_days", "checkin_every_days")}),
        ("Budget", {"fields": ("budget", "currency", "budget_buffer_percent", "confirm_over_budget")}),
        ("Completion", {"fields": ("completed_on", "completion_note", "archived_at")}),
    )
    actions = ["put_on_hold", "mark_complete", "shift_milestones"]

    def get_queryset(self, request):
        # Health, money and progress as columns of the one query, so the list filters, sorts
        # and pages by them in the database.
        return super().get_queryset(request).with_health()

    def get_list_display(self, request):
        columns = super().get_list_display(request)
        if can_see_money(request.user):
            return [column for column in columns if column != "budget_health_in_words"]
        return columns

    def get_readonly_fields(self, request, obj=None):
        readonly = [
            "owner",
            "trust_override_reason",
            "trust_override_by",
            "completed_on",
            "completion_note",
            "archived_at",
        ]
        if obj is not None and not request.user.has_perm("projects.change_project_budget"):
            # As on the project form: whoever creates a project sets its budget, only the owner changes it.
            readonly.extend(BUDGET_FIELDS)
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user  # a class made for this request
        return form

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if getattr(inline, "checks_the_plan", False):
            kwargs["user"] = request.user  # the plan rule words its amounts for this reader
        return kwargs

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, form=ProjectChangelistForm, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "freelancer":
            kwargs["queryset"] = Freelancer.objects.active().order_by("name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        # Deleting is archiving: a project, its payments and its history stay.
        return False

    def has_complete_permission(self, request):
        # The same right as the project's completion page, which writes the review.
        return request.user.has_perms(["projects.change_project", "projects.add_review"])

    def has_shift_permission(self, request):
        return request.user.has_perms(["projects.change_project", "milestones.change_milestone"])

    # Saving goes through the services ------------------------------------------

    def save_model(self, request, obj, form, change):
        # Saved in save_related, with its milestones in the same call to the services, so the
        # plan's rules see the project and its milestones as they will be together.
        pass

    def milestone_plan(self, formsets):
        """The milestones saved with the project, as (rows, removed rows)."""
        plan = next((formset for formset in formsets if formset.model is Milestone), None)
        if plan is None:
            return (), ()
        return plan.save(commit=False), plan.deleted_objects

    def save_related(self, request, form, formsets, change):
        milestones, removed = self.milestone_plan(formsets)
        saved = {
            "project": form.instance,
            "milestones": milestones,
            "skills": form.cleaned_data.get("skills"),
            "by": request.user,
            "override_reason": getattr(form, "override_reason_given", form.instance.trust_override_reason),
            "confirm_over_budget": form.cleaned_data.get("confirm_over_budget", False),
        }
        if change:
            project_services.update_project(**saved, removed=removed)
        else:
            project_services.create_project(**saved)
        # The other inlines, and the record of what the edit changed (ExplainedEditsAdmin).
        super().save_related(request, form, formsets, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is Milestone:
            return  # saved with the project by the service, in save_related
        saved = formset.save(commit=False)
        if formset.model is Payment:
            for payment in formset.deleted_objects:
                services.remove_payment(payment=payment, by=request.user)
            for payment in saved:
                services.save_payment(payment=payment, by=request.user)
        elif formset.model is Backup:
            for backup in formset.deleted_objects:
                services.remove_backup(backup=backup, by=request.user)
            for backup in saved:
                services.save_backup(backup=backup, by=request.user)

    # Columns -------------------------------------------------------------------

    @admin.display(description="budget", ordering="budget")
    def budget_with_currency(self, project):
        return format_money(project.budget, project.currency)

    @admin.display(description="spent", ordering="spent_total")
    def spent_with_currency(self, project):
        return format_money(project.spent, project.currency)

    # Sorted by rank, red first, in the database.

    @admin.display(description="budget health", ordering="budget_rank")
    def budget_health_level(self, project):
        return health_badge(project.budget_health)

    @admin.display(description="budget health", ordering="budget_rank")
    def budget_health_in_words(self, project):
        # The column for whoever may not see money; PolicyAdmin drops one of the two.
        return health_badge(health.without_money(project.budget_health))

    @admin.display(description="schedule health", ordering="schedule_rank")
    def schedule_health_level(self, project):
        return health_badge(project.schedule_health)

    @admin.display(description="progress")
    def progress(self, project):
        return f"{project.progress_percent}%"

    # Actions -------------------------------------------------------------------

    @admin.action(description="Put on hold", permissions=["change"])
    def put_on_hold(self, request, queryset):
        held = []
        for project in queryset:
            if project.status != Project.Status.ON_HOLD:
                project_services.change_status(
                    project=project, status=Project.Status.ON_HOLD, by=request.user
                )
                held.append(project.title)
        if held:
            self.message_user(request, f"Put on hold: {', '.join(held)}.", messages.SUCCESS)
        else:
            self.message_user(request, "The selected projects were on hold already.", messages.INFO)

    @admin.action(description="Mark complete → reviews owed", permissions=["complete"])
    def mark_complete(self, request, queryset):
        completed, refused = [], []
        for project in queryset:
            if project.status == Project.Status.COMPLETED:
                refused.append(f"{project.title} (completed already)")
                continue
            try:
                project_services.complete_project(project=project, review=None, by=request.user)
            except ValidationError as error:
                refused.append(f"{project.title} ({' '.join(error.messages)} Complete it on its page.)")
            else:
                completed.append(project)
        if completed:
            owed = [project.title for project in completed if project.freelancer_id]
            text = f"Completed: {', '.join(project.title for project in completed)}."
            if owed:
                message = format_html(
                    '{} Their reviews are owed: see <a href="{}">reviews owed</a>.',
                    text,
                    reverse("projects:reviews_owed"),
                )
            else:
                message = text
            self.message_user(request, message, messages.SUCCESS)
        if refused:
            self.message_user(request, f"Not completed: {'; '.join(refused)}", messages.WARNING)

    @admin.action(description="Shift all milestone dates by N days", permissions=["change", "shift"])
    def shift_milestones(self, request, queryset):
        # First a page asking for N; it posts back here with "apply".
        form = ShiftForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": "Shift all milestone dates",
                "opts": self.opts,
                "form": form,
                "selected_objects": queryset,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "action_name": "shift_milestones",
                "submit_label": "Shift the milestones",
            }
            return TemplateResponse(request, "admin/projects/project/shift_milestones.html", context)
        shift = datetime.timedelta(days=form.cleaned_data["days"])
        shifted, refused, empty = [], [], []
        for project in queryset:
            milestones = list(project.milestones.all())
            if not milestones:
                empty.append(project.title)
                continue
            for milestone in milestones:
                milestone.due_on += shift
            try:
                # update_project checks and saves the milestones and re-plans an active project's check-ins.
                project_services.update_project(
                    project=project,
                    milestones=milestones,
                    by=request.user,
                    override_reason=project.trust_override_reason,
                )
            except ValidationError as error:
                refused.append(f"{project.title}: {' '.join(error.messages).removesuffix('.')}")
                continue
            shifted.append(project.title)
        days = form.cleaned_data["days"]
        if shifted:
            self.message_user(
                request, f"Milestones shifted by {days:+d} day(s): {', '.join(shifted)}.", messages.SUCCESS
            )
        if refused:
            self.message_user(request, f"Not shifted: {'; '.join(refused)}.", messages.WARNING)
        if empty:
            self.message_user(request, f"No milestones to shift: {', '.join(empty)}.", messages.INFO)
        return None
