"""The project page and the forms posted from it.

The page shows a project with its milestones, check-ins, reminders, payments and backups,
and its forms save a project together with its milestones and re-plan its check-ins, so
it works on both the projects and the milestones layer and lives in the higher one. The
project list and the reviews owed, which read projects alone, are in projects/views.py.
"""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from common.form_errors import add_service_errors
from common.history import describe_edit, explain, recent_changes
from common.lists import paginate
from common.policy import can_see_money, history_for, withhold_money_fields
from freelancers.models import Freelancer
from milestones import project_services
from milestones.deliverables import deliverables_for_project
from milestones.forms import MilestoneStatusForm, check_plan, milestone_formset
from milestones.models import Milestone
from milestones.scan import unreachable
from projects import charts, forecast, selectors, services
from projects.forms import (
    MONEY_FIELDS,
    BackupForm,
    CompletionForm,
    PaymentForm,
    ProjectForm,
    ProjectStatusForm,
    ReplaceFreelancerForm,
)
from projects.models import Backup, Project

# Rows per list on a project page (check-ins planned, held, payments); each pages on its own.
PROJECT_PAGE_ROWS = 10


def get_project(pk):
    """The one lookup for a project page: what health, money and progress need, 404 if absent."""
    return get_object_or_404(Project.objects.with_details(), pk=pk)


@permission_required("projects.view_project", raise_exception=True)
def project_detail(request, pk):
    return render_project(request, get_project(pk))


def render_project(request, project, *, bound=None, status=200):
    """The project page, with one of its small forms bound to what was typed when it failed."""
    suggested = list(suggested_backups(project))
    forms = {
        "status": ProjectStatusForm(initial={"status": project.status}),
        "payment": PaymentForm(project=project),
        "backup": BackupForm(project=project, suggestions=suggested),
        **(bound or {}),
    }
    checkins = project.checkins.select_related("milestone")
    # Long projects gather thousands of check-ins and many payments: each list shows a page.
    planned = checkins.planned().order_by("scheduled_for", "pk")
    held = checkins.held().order_by("-held_on", "-scheduled_for", "-pk")
    payments = project.payments.select_related("milestone").order_by("-paid_on", "-pk")
    context = {
        "project": project,
        "milestones": project.milestones.all(),
        "milestone_statuses": Milestone.Status.choices,
        "payments": paginate(request, payments, per_page=PROJECT_PAGE_ROWS, param="payments_page"),
        "held_checkins": paginate(request, held, per_page=PROJECT_PAGE_ROWS, param="held_page"),
        "planned_checkins": paginate(request, planned, per_page=PROJECT_PAGE_ROWS, param="planned_page"),
        "next_checkin": checkins.upcoming().order_by("scheduled_for", "pk").first(),
        "deliverable_list": deliverables_for_project(project),
        "assignments": project.assignments.select_related("freelancer"),
        "backups": project.backups.select_related("freelancer"),
        "suggested_backups": suggested,
        "reviews": project.reviews.select_related("freelancer"),
        # Only a completed project can owe one: the question costs a query only then.
        "review_owed": project.status == Project.Status.COMPLETED
        and Project.objects.reviews_owed().filter(pk=project.pk).exists(),
        "forms": forms,
        "history": history_for(request.user, recent_changes(project.history), Project, MONEY_FIELDS),
        "unreachable": [] if project.reminders_muted else unreachable(project),
        "timeline": charts.timeline(project),
        "burn_chart": charts.burn_chart(project) if can_see_money(request.user) else None,
        # Where an active project is heading; the card leaves out cost for who may not see money.
        "forecast": forecast.card(selectors.forecast_for(project), show_money=can_see_money(request.user))
        if project.status == Project.Status.ACTIVE
        else None,
    }
    return render(request, "projects/project_detail.html", context, status=status)


def suggested_backups(project):
    """Approved freelancers who share the project's skills and are not yet on it."""
    skills = project.skills.all()
    if not skills:
        return Freelancer.objects.none()
    taken = [project.freelancer_id, *project.backups.values_list("freelancer_id", flat=True)]
    return (
        Freelancer.objects.hireable()
        .filter(status=Freelancer.Status.APPROVED, skills__in=skills)
        .exclude(pk__in=[pk for pk in taken if pk])
        .distinct()
        .order_by("name")[:5]
    )


@permission_required("projects.add_project", raise_exception=True)
def project_create(request):
    form = ProjectForm(request.POST or None, user=request.user)
    formset = milestone_formset(request.user, request.POST or None, instance=form.instance)
    if request.method == "POST" and check_plan(form, formset):
        try:
            project = project_services.create_project(
                project=form.save(commit=False),
                milestones=formset.save(commit=False),
                skills=form.cleaned_data["skills"],
                by=request.user,
                override_reason=form.override_reason_given,
                confirm_over_budget=form.cleaned_data["confirm_over_budget"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Project “{project.title}” was created.")
            return redirect(project)
    return render(request, "projects/project_form.html", {"form": form, "formset": formset})


@permission_required("projects.change_project", raise_exception=True)
def project_edit(request, pk):
    project = get_project(pk)
    form = ProjectForm(request.POST or None, instance=project, user=request.user)
    formset = milestone_formset(request.user, request.POST or None, instance=project)
    for milestone_form in formset:
        withhold_money_fields(milestone_form, ["amount"], request.user)
    if request.method == "POST" and check_plan(form, formset):
        try:
            milestones = formset.save(commit=False)
            project_services.update_project(
                project=explain(form.save(commit=False), describe_edit(form, [formset])),
                milestones=milestones,
                removed=formset.deleted_objects,
                skills=form.cleaned_data["skills"],
                by=request.user,
                override_reason=form.override_reason_given,
                confirm_over_budget=form.cleaned_data["confirm_over_budget"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Changes saved.")
            return redirect(project)
    return render(
        request, "projects/project_form.html", {"form": form, "formset": formset, "project": project}
    )


@require_POST
@permission_required("projects.change_project", raise_exception=True)
def project_status(request, pk):
    project = get_project(pk)
    form = ProjectStatusForm(request.POST)
    if not form.is_valid():
        return render_project(request, project, bound={"status": form}, status=400)
    project_services.change_status(project=project, status=form.cleaned_data["status"], by=request.user)
    messages.success(request, f"The project is now {project.get_status_display().lower()}.")
    return redirect(project)


@require_POST
@permission_required("projects.change_project", raise_exception=True)
def project_mute_reminders(request, pk):
    """Switch the project's reminder emails off ("on") or back on ("off")."""
    project = get_project(pk)
    muted = {"on": True, "off": False}.get(request.POST.get("muted"))
    if muted is None:
        messages.error(request, "Say whether to mute the reminders; nothing was changed.")
        return redirect(project)
    services.set_reminders_muted(project=project, muted=muted, by=request.user)
    if muted:
        messages.success(request, "Reminders about this project are muted: no reminder emails are sent.")
    else:
        messages.success(request, "Reminders about this project are on again.")
    return redirect(project)


@require_POST
@permission_required("milestones.change_milestone", raise_exception=True)
def milestone_status(request, pk, milestone_pk):
    project = get_project(pk)
    milestone = get_object_or_404(Milestone, pk=milestone_pk, project=project)
    form = MilestoneStatusForm(request.POST)
    if form.is_valid():
        project_services.set_milestone_status(
            milestone=milestone, status=form.cleaned_data["status"], by=request.user
        )
        messages.success(request, f"“{milestone.title}” is now {milestone.get_status_display().lower()}.")
    else:
        messages.error(request, "That is not a milestone status; nothing was changed.")
    return redirect(project)


def write_from(form, service, **arguments):
    """What `service` wrote from a valid form's data, or None: the form's errors or the
    service's refusal are then beside the fields."""
    if form.is_valid():
        try:
            return service(**form.cleaned_data, **arguments)
        except ValidationError as error:
            add_service_errors(form, error)
    return None


@require_POST
@permission_required("projects.add_payment", raise_exception=True)
def payment_create(request, pk):
    project = get_project(pk)
    form = PaymentForm(request.POST, project=project)
    payment = write_from(form, services.record_payment, project=project, by=request.user)
    if payment is None:
        return render_project(request, project, bound={"payment": form}, status=400)
    messages.success(request, f"Payment of {payment.amount} {project.currency} recorded.")
    return redirect(project)


@require_POST
@permission_required("projects.add_backup", raise_exception=True)
def backup_create(request, pk):
    project = get_project(pk)
    form = BackupForm(request.POST, project=project)
    backup = write_from(form, services.add_backup, project=project, by=request.user)
    if backup is None:
        return render_project(request, project, bound={"backup": form}, status=400)
    messages.success(request, f"{backup.freelancer} is now a backup for this project.")
    return redirect(project)


@require_POST
@permission_required("projects.change_backup", raise_exception=True)
def backup_confirm(request, pk, backup_pk):
    backup = get_object_or_404(Backup, pk=backup_pk, project_id=pk)
    services.confirm_backup(backup=backup, by=request.user)
    messages.success(request, f"{backup.freelancer} confirmed available today.")
    return redirect(backup.project)


@require_POST
@permission_required("projects.delete_backup", raise_exception=True)
def backup_remove(request, pk, backup_pk):
    backup = get_object_or_404(Backup, pk=backup_pk, project_id=pk)
    services.remove_backup(backup=backup, by=request.user)
    messages.success(request, f"{backup.freelancer} is no longer a backup here.")
    return redirect(backup.project)


@permission_required("projects.change_project", raise_exception=True)
def project_replace(request, pk):
    """Replace the freelancer in one step: the old assignment ends, milestones and payments stay."""
    project = get_project(pk)
    form = ReplaceFreelancerForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            services.replace_freelancer(
                project=project,
                new=form.cleaned_data["freelancer"],
                reason=form.cleaned_data["reason"],
                override_reason=form.cleaned_data["override_reason"],
                by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{form.cleaned_data['freelancer']} now works on this project.")
            return redirect(project)
    return render(request, "projects/project_replace.html", {"form": form, "project": project})


@permission_required("projects.add_review", raise_exception=True)
def project_complete(request, pk):
    """Complete the project and write the review in one form."""
    project = get_project(pk)
    form = CompletionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project_services.complete_project(
                project=project,
                review=form.save(commit=False) if project.freelancer_id else None,
                unfinished_note=form.cleaned_data["unfinished_note"],
                mark_do_not_hire=form.cleaned_data["mark_do_not_hire"],
                by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"“{project.title}” is completed and reviewed.")
            return redirect(project)
    return render(request, "projects/project_complete.html", {"form": form, "project": project})


@require_POST
@permission_required("projects.delete_project", raise_exception=True)
def project_archive(request, pk):
    """Deleting a project is archiving it: hidden from lists, everything kept."""
    project = get_project(pk)
    if request.POST.get("restore"):
        project_services.restore_project(project=project, by=request.user)
        messages.success(request, f"“{project.title}” is back in the list.")
    else:
        project_services.archive_project(project=project, by=request.user)
        messages.success(request, f"“{project.title}” was archived. Its record and history are kept.")
    return redirect(project)
