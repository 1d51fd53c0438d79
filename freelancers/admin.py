"""The Django admin for bulk edits, CSV/XLSX import and export, and history.

Every change that follows a business rule goes through freelancers.services or
the model's own rule, so the admin cannot do what the app forbids: approving
without vetting (Freelancer.clean runs in the change form and in each editable
changelist row), flagging do-not-hire without a reason, deleting a freelancer
(deleting is archiving). History is there to read: reverting to an old version is off.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils import timezone
from import_export.admin import ImportExportModelAdmin
from import_export.formats import base_formats

from common.admin_autocomplete import CheckedAutocompleteAdminMixin
from common.admin_inlines import CappedInline
from common.admin_paging import LargeTableAdmin
from common.admin_policy import PolicyAdmin, PolicyInline
from common.history import ExplainedEditsAdmin, HistoryAdmin
from freelancers import services
from freelancers.models import AccessGrant, Freelancer, Interview, Reference, Skill, Testimonial, WorkSample
from freelancers.resources import FreelancerResource, ReferenceResource


class HistoryImportExportAdmin(
    CheckedAutocompleteAdminMixin, ExplainedEditsAdmin, ImportExportModelAdmin, HistoryAdmin
):
    """Change history to read, plus import and export as CSV or XLSX for those allowed to write."""

    formats = [base_formats.CSV, base_formats.XLSX]

    def has_import_permission(self, request):
        # An import adds and changes rows, so it needs both rights.
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)


# Inlines -------------------------------------------------------------------


class ReferenceInline(CappedInline, admin.TabularInline):
    model = Reference
    extra = 0
    fields = ("name", "relationship", "contact", "contacted_on", "outcome", "notes")


class TestimonialInline(CappedInline, admin.TabularInline):
    model = Testimonial
    extra = 0
    fields = ("author", "source_url", "text", "verified", "verified_how")


class WorkSampleForm(forms.ModelForm):
    class Meta:
        model = WorkSample
        fields = ("title", "url", "rating", "notes")

    def clean(self):
        cleaned_data = super().clean()
        # The file is left out of the admin (uploads are type- and size-checked on the
        # freelancer's page), so the database's "link or file" rule is checked here.
        if not cleaned_data.get("url") and not self.instance.file:
            self.add_error("url", "Give a link to the sample, or upload the file on the freelancer’s page.")
        return cleaned_data


class WorkSampleInline(CappedInline, admin.TabularInline):
    model = WorkSample
    form = WorkSampleForm
    extra = 0
    fields = ("title", "url", "original_filename", "rating", "notes")
    readonly_fields = ("original_filename",)


class InterviewInline(CappedInline, admin.StackedInline):
    model = Interview
    extra = 0
    fields = (("held_on", "channel", "recommendation"), "questions_asked", "notes", "red_flags")


class AccessGrantForm(forms.ModelForm):
    class Meta:
        model = AccessGrant
        fields = (
            "freelancer",
            "project",
            "system",
            "access_level",
            "why_needed",
            "granted_on",
            "revoke_by",
            "revoked_on",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Shown and validated against the grant date, but set only by the
        # "Record revocation" action, which checks the date and records who.
        self.fields["revoked_on"].disabled = True
        self.fields["revoked_on"].help_text = "Set by the “Record revocation today” action."


class AccessGrantInline(CappedInline, PolicyInline, admin.TabularInline):
    """Shown only to users allowed to see access grants."""

    model = AccessGrant
    policy_name = "access_grants"
    form = AccessGrantForm
    extra = 0
    fields = ("system", "project", "access_level", "why_needed", "granted_on", "revoke_by", "revoked_on")
    # A plain id box: a drop-down would list every project once per row.
    raw_id_fields = ("project",)


# Freelancers ---------------------------------------------------------------


class ArchivedFilter(admin.SimpleListFilter):
    title = "archived"
    parameter_name = "archived"

    def lookups(self, request, model_admin):
        return [("no", "Active"), ("yes", "Archived")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.active()
        if self.value() == "yes":
            return queryset.filter(archived_at__isnull=False)
        return queryset


class DoNotHireForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Kept on their record and shown wherever they could be chosen for work.",
        error_messages={"required": "Say why these freelancers must not be hired."},
    )


def move_to_status_action(status):
    """One bulk action per pipeline status, each going through services.change_status."""

    def action(modeladmin, request, queryset):
        modeladmin.move_to_status(request, queryset, status)

    action.__name__ = f"move_to_{status.value}"
    return admin.action(description=f"Move selected to “{status.label}”", permissions=["change"])(action)


@admin.register(Freelancer)
class FreelancerAdmin(LargeTableAdmin, PolicyAdmin, HistoryImportExportAdmin):
    resource_classes = [FreelancerResource]
    money_fields = FreelancerResource.money_columns
    grant_fields = ("access_grants", "overdue_access_count", "overdue_access")
    inlines = [ReferenceInline, TestimonialInline, WorkSampleInline, InterviewInline, AccessGrantInline]
    list_display = (
        "name",
        "email",
        "status",
        "trust",
        "vetting_percent",
        "hourly_rate",
        "currency",
        "do_not_hire",
        "overdue_access",
    )
    list_editable = ("status", "hourly_rate")
    list_filter = ("status", "do_not_hire", "skills", ArchivedFilter)
    search_fields = ("name", "email", "skills__name")
    autocomplete_fields = ("skills",)
    readonly_fields = ("archived_at",)
    # Along freelancer_name_idx.
    ordering = ("name", "pk")
    fieldsets = (
        (None, {"fields": ("name", "email", "phone", "video_handle", "timezone", "location")}),
        ("Work", {"fields": ("skills", "hourly_rate", "currency", "source")}),
        (
            "Pipeline",
            {"fields": ("status", "do_not_hire", "do_not_hire_reason", "archived_at")},
        ),
        ("Notes", {"fields": ("notes", "gut_feeling")}),
    )
    actions = [
        *(move_to_status_action(status) for status in Freelancer.Status),
        "flag_do_not_hire",
        "archive",
        "restore",
    ]

    def get_queryset(self, request):
        # The vetting, trust and overdue-access columns come annotated, not one query per row.
        return super().get_queryset(request).with_vetting()

    def get_export_queryset(self, request):
        return super().get_export_queryset(request).prefetch_related("skills")

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if (request.GET.get("model_name"), request.GET.get("field_name")) == ("backup", "freelancer"):
            # The backup inline's search box offers only whom the inline accepts
            # (projects.admin.BackupInline): nobody archived or marked do-not-hire.
            queryset = queryset.active().filter(do_not_hire=False)
        return queryset, may_have_duplicates

    def has_delete_permission(self, request, obj=None):
        # Deleting is archiving: the record and its history stay.
        return False

    def has_archive_permission(self, request):
        # Archiving stands in for deleting, so it needs the right to delete,
        # which the Owner holds and an Assistant never does.
        return request.user.has_perm("freelancers.delete_freelancer")

    @admin.display(description="trust level", ordering="trust_level")
    def trust(self, freelancer):
        return freelancer.trust.label

    @admin.display(description="vetting")
    def vetting_percent(self, freelancer):
        return f"{freelancer.vetting.percent}%"

    @admin.display(description="access overdue", boolean=True, ordering="overdue_access_count")
    def overdue_access(self, freelancer):
        return freelancer.has_overdue_access

    def move_to_status(self, request, queryset, status):
        moved, refused = [], []
        for freelancer in queryset:
            try:
                services.change_status(freelancer=freelancer, status=status, by=request.user)
            except ValidationError as error:
                refused.append(f"{freelancer.name} ({' '.join(error.messages)})")
            else:
                moved.append(freelancer.name)
        label = Freelancer.Status(status).label
        if moved:
            self.message_user(request, f"Moved to “{label}”: {', '.join(moved)}.", messages.SUCCESS)
        if refused:
            self.message_user(request, f"Not moved to “{label}”: {'; '.join(refused)}", messages.WARNING)

    @admin.action(description="Flag do-not-hire with a reason", permissions=["change"])
    def flag_do_not_hire(self, request, queryset):
        # First the action shows a page asking for the reason; that page posts back here with "apply".
        form = DoNotHireForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            # One reason typed for many must not replace the reason written for one flagged before.
            flagged_before = [freelancer.name for freelancer in queryset if freelancer.do_not_hire]
            to_flag = [freelancer for freelancer in queryset if not freelancer.do_not_hire]
            with transaction.atomic():
                for freelancer in to_flag:
                    services.mark_do_not_hire(
                        freelancer=freelancer, reason=form.cleaned_data["reason"], by=request.user
                    )
            if to_flag:
                names = ", ".join(freelancer.name for freelancer in to_flag)
                self.message_user(request, f"Flagged do-not-hire: {names}.", messages.SUCCESS)
            if flagged_before:
                self.message_user(
                    request,
                    f"Flagged already, their reason is kept: {', '.join(flagged_before)}.",
                    messages.INFO,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Flag do-not-hire",
            "opts": self.opts,
            "form": form,
            "selected_objects": queryset,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action_name": "flag_do_not_hire",
            "submit_label": "Flag do-not-hire",
        }
        return TemplateResponse(request, "admin/freelancers/freelancer/do_not_hire.html", context)

    @admin.action(description="Archive selected freelancers", permissions=["archive"])
    def archive(self, request, queryset):
        for freelancer in queryset:
            services.archive_freelancer(freelancer=freelancer, by=request.user)
        self.message_user(request, f"Archived {len(queryset)} freelancer(s).", messages.SUCCESS)

    @admin.action(description="Restore selected freelancers from the archive", permissions=["archive"])
    def restore(self, request, queryset):
        for freelancer in queryset:
            services.restore_freelancer(freelancer=freelancer, by=request.user)
        self.message_user(request, f"Restored {len(queryset)} freelancer(s).", messages.SUCCESS)


# The rest ------------------------------------------------------------------


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(Reference)
class ReferenceAdmin(LargeTableAdmin, HistoryImportExportAdmin):
    resource_classes = [ReferenceResource]
    list_display = ("name", "freelancer", "relationship", "contact", "contacted_on", "outcome")
    list_filter = ("outcome",)
    list_select_related = ("freelancer",)
    search_fields = ("name", "contact", "freelancer__name", "freelancer__email")
    autocomplete_fields = ("freelancer",)
    # The latest first, along the primary key: the model's order goes through each
    # freelancer's name and sorts every reference.
    ordering = ("-pk",)
    actions = ["mark_contacted_today"]

    @admin.action(description="Mark selected references contacted today", permissions=["change"])
    def mark_contacted_today(self, request, queryset):
        changed = services.mark_references_contacted(
            references=queryset, on=timezone.localdate(), by=request.user
        )
        self.message_user(
            request,
            f"Marked {changed} reference(s) contacted today; "
            f"{len(queryset) - changed} already had a contact date and were left as they were.",
            messages.SUCCESS,
        )


class GrantStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("overdue", "Overdue"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.open()
        if self.value() == "overdue":
            return queryset.overdue()
        if self.value() == "revoked":
            return queryset.filter(revoked_on__isnull=False)
        return queryset


@admin.register(AccessGrant)
class AccessGrantAdmin(LargeTableAdmin, CheckedAutocompleteAdminMixin, HistoryAdmin):
    form = AccessGrantForm
    list_display = (
        "system",
        "freelancer",
        "access_level",
        "granted_on",
        "revoke_by",
        "revoked_on",
        "overdue",
    )
    list_filter = (GrantStateFilter, "access_level")
    list_select_related = ("freelancer",)
    search_fields = ("system", "why_needed", "freelancer__name", "freelancer__email")
    autocomplete_fields = ("freelancer",)
    raw_id_fields = ("project",)
    readonly_fields = ("revoked_by",)
    actions = ["record_revocation_today"]

    @admin.display(boolean=True, description="overdue")
    def overdue(self, grant):
        return grant.is_overdue

    @admin.action(description="Record revocation today", permissions=["change"])
    def record_revocation_today(self, request, queryset):
        revoked, refused = [], []
        for grant in queryset:
            try:
                services.record_revocation(grant=grant, revoked_on=timezone.localdate(), by=request.user)
            except ValidationError as error:
                refused.append(f"{grant.system} ({' '.join(error.messages)})")
            else:
                revoked.append(grant.system)
        if revoked:
            self.message_user(request, f"Revocation recorded: {', '.join(revoked)}.", messages.SUCCESS)
        if refused:
            self.message_user(request, f"Not recorded: {'; '.join(refused)}", messages.WARNING)
