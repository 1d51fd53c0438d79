"""The Django admin for milestones and check-ins: bulk status edits, export, history;
and the project's admin page with its milestones inline.

A milestone keeps to its project's due date plus leeway here too, a status change
goes through projects.services.set_milestone_status, and a new or moved milestone
re-plans the active project's check-ins. What came of a check-in is recorded on
the check-ins page, which checks the date and keeps who recorded it. The owner
revokes anyone's calendar feed here.
"""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from common.admin_autocomplete import CheckedAutocompleteAdminMixin
from common.admin_inlines import CappedInline, CappedInlineFormSet
from common.admin_policy import PolicyAdmin, PolicyInline
from common.history import HistoryAdmin
from common.money import format_money
from milestones.models import CalendarFeed, CheckIn, Milestone
from milestones.resources import MilestoneResource
from projects import services
from projects.admin import HistoryExportAdmin, ProjectAdmin
from projects.models import Project, leeway_problem

# The project's admin with its milestones -------------------------------------


class MilestoneInlineFormSet(CappedInlineFormSet):
    def clean(self):
        super().clean()
        # The formset's instance is the project as edited on the same page, new dates included.
        project = self.instance
        if project.due_on is None or project.schedule_buffer_days is None:
            return
        for form in self.forms:
            due_on = form.cleaned_data.get("due_on") if form.is_valid() else None
            if due_on is None or self._should_delete_form(form):
                continue
            problem = leeway_problem(due_on, project.latest_acceptable_due_on)
            if problem:
                form.add_error("due_on", problem)


class MilestoneInline(CappedInline, PolicyInline, admin.TabularInline):
    model = Milestone
    money_fields = ("amount",)
    formset = MilestoneInlineFormSet
    extra = 0
    fields = ("order", "title", "due_on", "amount", "status")


# projects.admin registers the project admin without milestones, which it may not import;
# this layer adds them, and re-plans the check-ins when they change.
admin.site.unregister(Project)


@admin.register(Project)
class ProjectWithMilestonesAdmin(ProjectAdmin):
    inlines = [MilestoneInline, *ProjectAdmin.inlines]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        milestones_changed = any(formset.model is Milestone and formset.has_changed() for formset in formsets)
        if milestones_changed and form.instance.status == Project.Status.ACTIVE:
            # The services planned the check-ins before the milestones on the page were saved;
            # a fresh project, since the one on the page holds the milestones as they were.
            services.plan_checkins(project=Project.objects.get(pk=form.instance.pk))


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
class CheckInAdmin(CheckedAutocompleteAdminMixin, HistoryAdmin):
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
