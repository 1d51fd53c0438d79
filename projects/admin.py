"""The Django admin for payments, and the pieces of the project's admin page that read
projects alone (its form, health filter and badge, and the payment, backup and assignment
inlines). The project's page itself saves a project with its milestones, so it lives a
layer up, in milestones/project_admin.py. Writes go through projects.services.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from import_export.admin import ExportMixin
from import_export.formats import base_formats

from common.admin_autocomplete import CheckedAutocompleteAdminMixin
from common.admin_inlines import CappedInline
from common.admin_paging import LargeTableAdmin
from common.admin_policy import PolicyInline
from common.history import ExplainedEditsAdmin, HistoryAdmin
from common.money import format_money
from common.policy import can_see_money
from freelancers.models import Freelancer
from projects import services
from projects.health import AMBER, GREEN, RANK, RED
from projects.models import Assignment, Backup, Payment, Project
from projects.resources import PaymentResource


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
