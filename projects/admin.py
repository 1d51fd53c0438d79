"""The Django admin for projects and payments: bulk edits, CSV/XLSX export, history.

Writes go through projects.services, as on the project pages: saving a project
calls create_project or update_project (assignments, the trial and do-not-hire
rules, the check-in plan), and the actions call change_status, complete_project
and update_project. What the project form refuses, the admin refuses in the same
words: a milestone due after the project's due date plus leeway, completing a
project without the completion step, an untested freelancer on a big budget.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from import_export.admin import ExportMixin
from import_export.formats import base_formats

from common.admin_autocomplete import CheckedAutocompleteAdminMixin
from common.admin_inlines import CappedInline
from common.admin_paging import LargeTableAdmin
from common.admin_policy import PolicyAdmin, PolicyInline
from common.form_errors import add_service_errors
from common.history import ExplainedEditsAdmin, HistoryAdmin
from common.money import format_money
from common.policy import can_see_money
from freelancers.models import Freelancer
from projects import health, services
from projects.forms import BUDGET_FIELDS
from projects.health import AMBER, GREEN, RANK, RED
from projects.models import Assignment, Backup, Payment, Project
from projects.resources import PaymentResource, ProjectResource


class HistoryExportAdmin(CheckedAutocompleteAdminMixin, ExplainedEditsAdmin, ExportMixin, HistoryAdmin):
    """Change history to read, plus export as CSV or XLSX for whoever may see the rows.

    Export only: a spreadsheet import would go around the services.
    """

    formats = [base_formats.CSV, base_formats.XLSX]

    def has_export_permission(self, request):
        return self.has_view_permission(request)


COMPLETE_ELSEWHERE = (
    "Complete a project with the “Mark complete” action or on its page, so the completion date is kept "
    "and the freelancer's review is asked for."
)


def refuse_completing(form, cleaned_data):
    """Completing records the date and asks for the review, which a status change would skip."""
    if (
        cleaned_data.get("status") == Project.Status.COMPLETED
        and form.instance.status != Project.Status.COMPLETED
    ):
        form.add_error("status", COMPLETE_ELSEWHERE)


def health_badge(health):
    return format_html('<span title="{}">{}</span>', health.reason, health.level)


# Inlines -------------------------------------------------------------------


class PaymentInline(CappedInline, PolicyInline, admin.TabularInline):
    """Shown only to users who may see money and payments."""

    model = Payment
    policy_name = "payments"
    extra = 0
    fields = ("paid_on", "amount", "milestone", "note", "recorded_by")
    readonly_fields = ("recorded_by",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "milestone":
            # Only the milestones of the project on the page (none yet while adding it).
            project_id = request.resolver_match.kwargs.get("object_id", "")
            milestones = db_field.related_model.objects
            kwargs["queryset"] = (
                milestones.filter(project_id=project_id) if project_id.isdigit() else milestones.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class BackupInline(CappedInline, CheckedAutocompleteAdminMixin, admin.TabularInline):
    model = Backup
    extra = 0
    fields = ("rank", "freelancer", "last_confirmed_on", "note")
    # A search box: a drop-down would list every freelancer once per row.
    autocomplete_fields = ("freelancer",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "freelancer":
            # As on the project page: nobody archived or marked do-not-hire.
            kwargs["queryset"] = Freelancer.objects.hireable().order_by("name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class AssignmentInline(CappedInline, admin.TabularInline):
    """Read-only: assignments start and end through the services, which keep the history."""

    model = Assignment
    extra = 0
    fields = ("freelancer", "started_on", "ended_on", "end_reason")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Projects ------------------------------------------------------------------


class ProjectAdminForm(forms.ModelForm):
    override_reason = forms.CharField(
        required=False,
        label="Trial rule override",
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Why a freelancer without a finished trial may take a budget above the trial limit. "
        "Needed only then.",
    )
    confirm_over_budget = forms.BooleanField(
        required=False,
        label="Save although the milestones add up to more than the budget plus contingency",
    )
    user = None  # set by ProjectAdmin.get_form: the trial rule names the limit to who may see money

    class Meta:
        model = Project
        fields = (
            "title",
            "brief",
            "skills",
            "is_trial",
            "status",
            "freelancer",
            "start_on",
            "due_on",
            "schedule_buffer_days",
            "checkin_every_days",
            "budget",
            "currency",
            "budget_buffer_percent",
        )

    def clean(self):
        cleaned_data = super().clean()
        refuse_completing(self, cleaned_data)
        self.check_assignment(cleaned_data)
        return cleaned_data

    def check_assignment(self, cleaned_data):
        """The service's do-not-hire and trial rules, as form errors rather than a failed save."""
        if not {"freelancer", "budget"} & set(self.changed_data):
            return
        freelancer = cleaned_data.get("freelancer", self.instance.freelancer if self.instance.pk else None)
        if freelancer is None:
            return
        candidate = Project(
            budget=cleaned_data.get("budget", self.instance.budget),
            currency=cleaned_data.get("currency", self.instance.currency),
        )
        try:
            services.check_assignment(
                project=candidate,
                freelancer=freelancer,
                override_reason=self.override_reason_given,
                by=self.user,
            )
        except ValidationError as error:
            field = "freelancer" if "freelancer" in self.fields else "override_reason"
            self.add_error(field, error.message_dict["freelancer"])

    @property
    def override_reason_given(self):
        """The reason typed now, or the one given before for the same freelancer."""
        typed = self.cleaned_data.get("override_reason", "").strip()
        if typed or not self.instance.pk or "freelancer" in self.changed_data:
            return typed
        return self.instance.trust_override_reason


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
                services.check_plan(
                    project=self.instance, milestones=services.plan_after(project=self.instance), by=None
                )
            except ValidationError as error:
                add_service_errors(self, error)


class HealthFilter(admin.SimpleListFilter):
    title = "health"
    parameter_name = "health"

    def lookups(self, request, model_admin):
        return [(RED, "Red: in trouble"), (AMBER, "Amber: at risk"), (GREEN, "Green: on track")]

    def queryset(self, request, queryset):
        # ProjectAdmin's queryset carries with_health(), so the level is a column to filter on.
        if self.value() not in {RED, AMBER, GREEN}:
            return queryset
        return queryset.filter(health_rank=RANK[self.value()])


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


@admin.register(Project)
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
    # The milestones' inline is added by milestones.admin, the layer that owns them.
    inlines = [PaymentInline, BackupInline, AssignmentInline]
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
        """The milestones saved with the project, as (rows, removed rows): none here; the
        milestones admin, a layer above, adds its inline and gives them."""
        return (), ()

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
            services.update_project(**saved, removed=removed)
        else:
            services.create_project(**saved)
        # The other inlines, and the record of what the edit changed (ExplainedEditsAdmin).
        super().save_related(request, form, formsets, change)

    def save_formset(self, request, form, formset, change):
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
                services.change_status(project=project, status=Project.Status.ON_HOLD, by=request.user)
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
                services.complete_project(project=project, review=None, by=request.user)
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
                services.update_project(
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


# Payments ------------------------------------------------------------------


class PaymentAdminForm(forms.ModelForm):
    class Meta:
        model = Payment
        fields = ("project", "amount", "paid_on", "milestone", "note")


@admin.register(Payment)
class PaymentAdmin(LargeTableAdmin, HistoryExportAdmin):
    """Only for those allowed to see money and payments: an Assistant gets a 403 here."""

    def has_module_permission(self, request):
        return can_see_money(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return can_see_money(request.user) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return can_see_money(request.user) and super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return can_see_money(request.user) and super().has_add_permission(request)

    form = PaymentAdminForm
    resource_classes = [PaymentResource]
    list_display = ("project", "paid_on", "amount_with_currency", "milestone", "note", "recorded_by")
    list_filter = ("paid_on", "project__currency")
    list_select_related = ("project", "milestone", "recorded_by")
    search_fields = ("project__title", "milestone__title", "note")
    # Newest first, along payment_paid_on_idx; "paid on" filters by a bounded range, where a
    # date hierarchy would read every payment's date to draw its links.
    ordering = ("-paid_on", "-pk")
    autocomplete_fields = ("project", "milestone")
    readonly_fields = ("recorded_by",)

    def save_model(self, request, obj, form, change):
        services.save_payment(payment=obj, by=request.user)

    def delete_model(self, request, obj):
        services.remove_payment(payment=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for payment in queryset:
            services.remove_payment(payment=payment, by=request.user)

    @admin.display(description="amount", ordering="amount")
    def amount_with_currency(self, payment):
        return format_money(payment.amount, payment.project.currency)
