"""The Django admin for milestones and check-ins: bulk status edits, export, history;
and the project's admin page (milestones/project_admin.py), with its milestones inline.

A milestone is saved through milestones.project_services.save_milestones, as on the project
form: it keeps to its project's due date plus leeway (Milestone.clean_fields), more
than the budget plus contingency needs the confirmation box, and the active project's
check-ins follow it. A status change goes through milestones.project_services.set_milestone_status.
What came of a check-in is recorded on the check-ins page, which checks the date and
keeps who recorded it. The owner revokes anyone's calendar feed here.
The reminder log is here to read, and a failed reminder to retry. Delivered files are
here to read and find.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html

from common.admin_autocomplete import CheckedAutocompleteAdminMixin
from common.admin_paging import LargeTableAdmin
from common.admin_policy import PolicyAdmin
from common.form_errors import add_service_errors
from common.history import HistoryAdmin
from common.money import format_money
from common.policy import can_see_money
from milestones import project_services, scan, tasks
from milestones.models import CalendarFeed, CheckIn, Deliverable, Milestone, Reminder
from milestones.project_admin import ProjectAdmin
from milestones.resources import MilestoneResource
from projects import forecast
from projects.admin import HistoryExportAdmin
from projects.models import Project

# The project's admin page works on a project with its milestones (milestones/project_admin.py).
admin.site.register(Project, ProjectAdmin)


class MilestoneAdminForm(forms.ModelForm):
    confirm_over_budget = forms.BooleanField(
        required=False,
        label="Save although the project's milestones add up to more than its budget plus contingency",
    )
    user = None  # set by MilestoneAdmin.get_form: amounts are named to who may see money

    class Meta:
        model = Milestone
        fields = ("project", "order", "title", "due_on", "amount", "status")

    def _post_clean(self):
        # The milestone itself is checked by the model (its due date within the leeway);
        # then its project's plan with this milestone as typed, by the service's rule.
        super()._post_clean()
        project = self.cleaned_data.get("project")
        if self.errors or project is None:
            return
        try:
            project_services.check_plan(
                project=project,
                milestones=project_services.plan_after(project=project, milestones=[self.instance]),
                confirm_over_budget=self.cleaned_data.get("confirm_over_budget", False),
                by=self.user,
            )
        except ValidationError as error:
            add_service_errors(self, error)


class LateFilter(admin.SimpleListFilter):
    title = "late"
    parameter_name = "late"

    def lookups(self, request, model_admin):
        return [("yes", "Late and not finished")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.open().filter(due_on__lt=timezone.localdate())
        return queryset


@admin.register(Milestone)
class MilestoneAdmin(LargeTableAdmin, PolicyAdmin, HistoryExportAdmin):
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
    # Along milestone_due_idx; the model's own order goes through the project's and sorts every row.
    ordering = ("-due_on", "-pk")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user  # a class made for this request
        return form

    def save_model(self, request, obj, form, change):
        if change and form.changed_data == ["status"]:
            project_services.set_milestone_status(milestone=obj, status=obj.status, by=request.user)
            return
        project_services.save_milestones(
            project=obj.project,
            milestones=[obj],
            confirm_over_budget=form.cleaned_data.get("confirm_over_budget", False),
            by=request.user,
        )

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


class ScheduledFilter(admin.SimpleListFilter):
    """Ranges around today, in place of a date hierarchy: that reads every check-in's
    date to draw its links."""

    title = "scheduled"
    parameter_name = "scheduled"
    RANGES = {
        "past_30": ("Past 30 days", -30, 0),
        "next_7": ("Next 7 days", 0, 7),
        "next_30": ("Next 30 days", 0, 30),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _, _) in self.RANGES.items()]

    def queryset(self, request, queryset):
        if self.value() not in self.RANGES:
            return queryset
        _, start, end = self.RANGES[self.value()]
        now = timezone.now()
        return queryset.filter(
            scheduled_for__gte=now + datetime.timedelta(days=start),
            scheduled_for__lt=now + datetime.timedelta(days=end),
        )


@admin.register(CheckIn)
class CheckInAdmin(LargeTableAdmin, CheckedAutocompleteAdminMixin, HistoryAdmin):
    list_display = ("project", "scheduled_for", "held_on", "on_track", "milestone")
    list_filter = (HeldFilter, ScheduledFilter, "on_track")
    list_select_related = ("project", "milestone")
    search_fields = ("project__title", "progress_note", "questions", "next_steps")
    # Planned ones first, then the most recently held: along checkin_due_idx, read backwards.
    # An index on the date alone would lure the pages' "planned, of projects in progress"
    # queries into walking every past check-in.
    ordering = ("-held_on", "-scheduled_for", "-pk")
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


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Whose calendar feeds exist, and a way to revoke any of them: whoever holds a feed's
    secret reads that person's check-ins, so a leaked link or one of someone who left is cut
    off here. Each person makes their own link on their calendar page; the secret is never shown."""

    list_display = ("user", "created_at")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email", "user__first_name", "user__last_name")
    fields = ("user", "created_at")
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        # "Revoke" says what deleting a feed does; the generic delete would say less.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Revoke the selected calendar links", permissions=["delete"])
    def revoke(self, request, queryset):
        people = ", ".join(str(feed.user) for feed in queryset)
        queryset.delete()
        self.message_user(
            request,
            f"Calendar links revoked: {people}. Their old addresses no longer work.",
            messages.SUCCESS,
        )


class ReminderKindFilter(admin.SimpleListFilter):
    """The kinds of reminder the reader may see (ReminderAdmin leaves the others out)."""

    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        hidden = hidden_kinds(request.user)
        return [(value, label) for value, label in Reminder.Kind.choices if value not in hidden]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


def hidden_kinds(user):
    """Reminders about money or access grants, for whoever the policy does not let read them."""
    return [kind for kind, may_read in scan.READ_CHECKS.items() if not may_read(user)]


def hidden_reminders(user):
    """The reminders `user` may not read, as a filter, or None when they may read them all:
    the kinds above, and a forecast overrun's money crossing (scan.read_check)."""
    hidden = Q(kind__in=hidden_kinds(user)) if hidden_kinds(user) else Q()
    if not can_see_money(user):
        hidden |= Q(kind=Reminder.Kind.FORECAST_OVERRUN, due_slot__startswith=forecast.CONTINGENCY)
    return hidden or None


@admin.register(Reminder)
class ReminderAdmin(LargeTableAdmin, admin.ModelAdmin):
    """The log of reminders, to read. The scan writes it and delivery updates it; a failed
    reminder is retried through the same service as on the failed reminders page."""

    list_display = ("kind", "recipient", "project", "due_slot", "state", "attempts", "sent_at")
    list_filter = ("state", ReminderKindFilter)
    list_select_related = ("project",)
    search_fields = ("recipient",)
    # Newest first, along reminder_created_idx.
    ordering = ("-created_at", "-pk")
    fields = (
        "kind",
        "recipient",
        "user",
        "project",
        "target_type",
        "target_id",
        "due_slot",
        "state",
        "attempts",
        "last_error",
        "created_at",
        "enqueued_at",
        "sent_at",
    )
    readonly_fields = fields
    actions = ["retry"]

    def get_queryset(self, request):
        hidden = hidden_reminders(request.user)
        # Only when there is something to hide: an unfiltered list is paged by the estimate.
        return super().get_queryset(request).exclude(hidden) if hidden else super().get_queryset(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # A deleted row would be created again by the next scan, and sent again.
        return False

    def has_retry_permission(self, request):
        # The same right as the failed reminders page's Retry button.
        return request.user.has_perm("milestones.change_reminder")

    @admin.action(description="Retry the selected failed reminders", permissions=["retry"])
    def retry(self, request, queryset):
        selected = queryset.count()
        retried = tasks.retry_failed(queryset)
        skipped = selected - retried
        if retried:
            self.message_user(request, f"{retried} reminder(s) on the way again.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} selected reminder(s) had not failed and were left as they were.",
                messages.INFO,
            )


@admin.register(Deliverable)
class DeliverableAdmin(LargeTableAdmin, HistoryAdmin):
    """The files freelancers delivered, to read and find. They arrive through
    milestones.deliverables (reply emails, the check-in link, the owner's upload) and are
    accepted or sent back on the project page, where the rules and the email are; so here
    nothing is added, edited or deleted."""

    list_display = ("name", "project", "milestone", "sender_email", "channel", "state", "received_at")
    list_filter = ("state", "channel")
    list_select_related = ("project", "milestone")
    search_fields = ("name", "sender_email")
    # Newest first, as the project page lists them.
    ordering = ("-received_at", "-pk")
    fields = (
        "project",
        "milestone",
        "checkin",
        "name",
        "download",
        "size",
        "content_type",
        "sender_email",
        "freelancer",
        "uploaded_by",
        "received_at",
        "channel",
        "state",
        "is_final",
        "owner_note",
        "reviewed_at",
        "reviewed_by",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # A file someone delivered is kept; nothing deletes it.
        return False

    @admin.display(description="file")
    def download(self, deliverable):
        # Through the permission-checked download, never the storage's own address.
        return format_html('<a href="{}">Download</a>', deliverable.get_download_url())
