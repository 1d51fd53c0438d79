import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import model_to_dict
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from common.form_errors import add_service_errors
from common.lists import COUNT_LIMIT, count_up_to, paginate
from milestones import calendar, deliverables, inbound, services, tasks, time_zones
from milestones.forms import (
    UPCOMING_DAYS,
    CheckInFilterForm,
    CheckInRecordForm,
    DeliverableSendBackForm,
    DeliverableUploadForm,
    ReminderPreferenceForm,
)
from milestones.models import CalendarFeed, CheckIn, Deliverable, EmailReply, Reminder, ReminderPreference
from projects.models import Project

# Held check-ins stay on the list this long, so the last few conversations are at hand;
# missed ones as long, so the list is about the weeks at hand (see checkin_sections).
RECENTLY_HELD_DAYS = 30
MISSED_DAYS = 30
# Rows per section of the check-ins page; each section has its own pages.
SECTION_ROWS = 25


def get_checkin(pk):
    """The one lookup for a check-in page: its project, freelancer and milestone; 404 if absent."""
    return get_object_or_404(CheckIn.objects.select_related("project__freelancer", "milestone"), pk=pk)


def checkin_sections(*, projects=None, upcoming_days=UPCOMING_DAYS, now=None):
    """Check-ins of `projects` (by default every project in progress): missed in the last
    MISSED_DAYS (oldest first), upcoming within `upcoming_days` (all of them when None),
    planned later than that, and held in the last RECENTLY_HELD_DAYS (newest first).

    A check-in missed longer ago stays on its project's page and was the missed-check-in
    and gone-quiet reminders' business; here it would bury this month's. Missed check-ins
    of finished projects stay planned for good, so the list is read in date order
    (checkin_planned_idx) from a bounded day, not from the first ever missed."""
    now = now or timezone.now()
    checkins = CheckIn.objects.filter(
        project__in=Project.objects.in_progress() if projects is None else projects
    ).select_related("project__freelancer", "milestone")
    upcoming = checkins.upcoming(now).order_by("scheduled_for", "pk")
    later = checkins.none()
    if upcoming_days is not None:
        horizon = now + datetime.timedelta(days=upcoming_days)
        later = upcoming.filter(scheduled_for__gte=horizon)
        upcoming = upcoming.filter(scheduled_for__lt=horizon)
    held_since = timezone.localdate(now) - datetime.timedelta(days=RECENTLY_HELD_DAYS)
    recently_missed = checkins.overdue(now).filter(
        scheduled_for__gte=now - datetime.timedelta(days=MISSED_DAYS)
    )
    return {
        "overdue": recently_missed.order_by("scheduled_for", "pk"),
        "upcoming": upcoming,
        "later": later,
        "held": checkins.held().filter(held_on__gte=held_since).order_by("-held_on", "-scheduled_for", "-pk"),
    }


def safe_next(request, fallback):
    """Where to go back to: ?next= when it is a page of this site, else the fallback."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return fallback


@permission_required("milestones.view_checkin", raise_exception=True)
def checkin_list(request):
    form = CheckInFilterForm(request.GET)
    projects, upcoming_days = form.values()
    sections = checkin_sections(projects=projects, upcoming_days=upcoming_days)
    later_count = count_up_to(sections.pop("later"), COUNT_LIMIT)
    # Each section pages on its own and counts no further than COUNT_LIMIT, so the page
    # costs the same however many check-ins there are.
    sections = {
        name: paginate(
            request, checkins, per_page=SECTION_ROWS, param=f"{name}_page", count_limit=COUNT_LIMIT
        )
        for name, checkins in sections.items()
    }
    # The link that switches between the next few days and every upcoming check-in.
    toggle = request.GET.copy()
    toggle["upcoming"] = "" if upcoming_days is None else "all"
    return render(
        request,
        "milestones/checkin_list.html",
        {
            **sections,
            "later_count": min(later_count, COUNT_LIMIT),
            "later_more": later_count > COUNT_LIMIT,
            "anything": any(section["page"].paginator.count for section in sections.values()),
            "form": form,
            "filtered": projects is not None,
            "missed_days": MISSED_DAYS,
            "upcoming_days": upcoming_days,
            "default_upcoming_days": UPCOMING_DAYS,
            "held_days": RECENTLY_HELD_DAYS,
            "toggle_upcoming_query": toggle.urlencode(),
            "time_zone": timezone.get_current_timezone_name(),
            "here": request.get_full_path(),
        },
    )


@permission_required("milestones.change_checkin", raise_exception=True)
def checkin_record(request, pk):
    """Record a held check-in in one short form, or correct what was recorded."""
    checkin = get_checkin(pk)
    recorded_on = checkin.held_on
    initial = model_to_dict(checkin, fields=services.RECORDED_FIELDS) if recorded_on else None
    form = CheckInRecordForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            services.record_checkin(checkin=checkin, **form.cleaned_data, by=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            verb = "updated" if recorded_on else "recorded"
            messages.success(request, f"The check-in on {checkin.project} was {verb}.")
            return redirect(safe_next(request, reverse("milestones:checkins")))
    return render(
        request,
        "milestones/checkin_record.html",
        {
            "checkin": checkin,
            "project": checkin.project,
            "form": form,
            "recorded_on": recorded_on,
            "next": safe_next(request, ""),
            "back": safe_next(request, reverse("milestones:checkins")),
        },
        status=400 if form.errors else 200,
    )


def reminder_preferences(request):
    """Any logged-in user chooses which reminders they receive, how, and in which time zone."""
    preference = ReminderPreference.objects.filter(user=request.user).first()
    form = ReminderPreferenceForm(
        request.POST if request.method == "POST" else None,
        instance=preference or ReminderPreference(user=request.user),
    )
    if form.is_bound and form.is_valid():
        preference = form.save()
        time_zones.remember_zone(request, preference.time_zone)
        messages.success(request, "Your reminder settings were saved.")
        return redirect("milestones:reminder_preferences")
    return render(
        request,
        "milestones/reminder_preferences.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@permission_required("milestones.change_reminder", raise_exception=True)
def failed_reminders(request):
    failed = Reminder.objects.filter(state=Reminder.State.FAILED).select_related("project")
    return render(
        request,
        "milestones/failed_reminders.html",
        paginate(request, failed.order_by("-created_at", "-pk")),
    )


@require_POST
@permission_required("milestones.change_reminder", raise_exception=True)
def retry_reminder(request, pk):
    reminder = get_object_or_404(Reminder, pk=pk)
    if tasks.retry(reminder):
        messages.success(request, f"The reminder to {reminder.recipient} is on its way again.")
    else:
        messages.info(request, "That reminder had already been retried; nothing was changed.")
    return redirect("milestones:failed_reminders")


@require_POST
@permission_required("milestones.change_reminder", raise_exception=True)
def retry_failed_reminders(request):
    count = tasks.retry_failed()
    if count:
        messages.success(request, f"{count} reminder{'s are' if count > 1 else ' is'} on the way again.")
    else:
        messages.info(request, "No reminder had failed; nothing was changed.")
    return redirect("milestones:failed_reminders")


@require_POST
@permission_required("milestones.change_checkin", raise_exception=True)
def checkin_mark_read(request, pk):
    """The owner has read the freelancer's update."""
    checkin = get_checkin(pk)
    services.mark_update_read(checkin=checkin)
    return redirect(safe_next(request, reverse("milestones:checkins")))


@require_http_methods(["GET", "POST"])
def calendar_settings(request):
    """The owner's calendar subscription address, and the buttons that create or replace it."""
    feed = CalendarFeed.objects.filter(user=request.user).first()
    if request.method == "POST":
        replacing = feed is not None
        CalendarFeed.rotate(request.user)
        if replacing:
            messages.success(request, "A new calendar link was made; the old one no longer works.")
        else:
            messages.success(request, "Your calendar link was made.")
        return redirect("milestones:calendar")
    return render(
        request,
        "milestones/calendar.html",
        {
            "feed": feed,
            "feed_url": settings.SITE_URL + feed.get_absolute_url() if feed else "",
            "past_days": calendar.FEED_PAST.days,
            "ahead_days": calendar.FEED_AHEAD.days,
        },
    )


@permission_required("milestones.view_checkin", raise_exception=True)
def checkin_invite(request, pk):
    """One check-in as an .ics invitation the owner sends the freelancer."""
    checkin = get_checkin(pk)
    response = HttpResponse(
        calendar.checkin_invitation(checkin), content_type="text/calendar; charset=utf-8; method=REQUEST"
    )
    response["Content-Disposition"] = f'attachment; filename="check-in-{checkin.pk}.ics"'
    return response


# Deliverables


def get_deliverable(pk):
    """The one lookup for a deliverable's pages: with its project and milestone; 404 if absent."""
    return get_object_or_404(
        Deliverable.objects.select_related("project__freelancer", "milestone", "freelancer"), pk=pk
    )


def project_deliverables_url(project):
    return project.get_absolute_url() + "#deliverables"


@permission_required("milestones.view_deliverable", raise_exception=True)
def deliverable_download(request, pk):
    """Send a delivered file as a download with the type read from its bytes when it arrived,
    never shown inline: whatever it holds, the browser does not render it as a page."""
    deliverable = get_object_or_404(Deliverable, pk=pk)
    try:
        handle = deliverable.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=deliverable.name or deliverable.file.name.rsplit("/", 1)[-1],
        content_type=deliverable.content_type or "application/octet-stream",
    )
    # Also set by SecurityMiddleware; said here so this file's safety does not hang on a setting.
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@permission_required("milestones.change_deliverable", raise_exception=True)
def deliverable_accept(request, pk):
    """Accept a file; with approve_milestone=1, as the milestone's final one, approving it."""
    deliverable = get_deliverable(pk)
    approve = request.POST.get("approve_milestone") == "1"
    if approve and not request.user.has_perm("milestones.change_milestone"):
        raise PermissionDenied
    try:
        deliverables.accept_deliverable(deliverable=deliverable, by=request.user, approve_milestone=approve)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if approve:
            messages.success(
                request, f"“{deliverable.name}” was accepted and “{deliverable.milestone.title}” is approved."
            )
        else:
            messages.success(request, f"“{deliverable.name}” was accepted.")
    return redirect(safe_next(request, project_deliverables_url(deliverable.project)))


@require_http_methods(["GET", "POST"])
@permission_required("milestones.change_deliverable", raise_exception=True)
def deliverable_send_back(request, pk):
    """Send a file back with a note saying what to change; the note is emailed to the freelancer."""
    deliverable = get_deliverable(pk)
    back = safe_next(request, project_deliverables_url(deliverable.project))
    form = DeliverableSendBackForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            notice = tasks.send_back_deliverable(
                deliverable=deliverable, note=form.cleaned_data["owner_note"], by=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if notice is not None:
                messages.success(
                    request,
                    f"“{deliverable.name}” was sent back; your note is on its way to {notice.recipient}.",
                )
            else:
                messages.warning(
                    request,
                    f"“{deliverable.name}” was sent back. Nobody was emailed: it did not come from "
                    f"the project's current freelancer, so tell whoever should redo it yourself.",
                )
            return redirect(back)
    return render(
        request,
        "milestones/deliverable_send_back.html",
        {
            "deliverable": deliverable,
            "project": deliverable.project,
            "form": form,
            "recipient": deliverables.send_back_recipient(deliverable),
            "next": safe_next(request, ""),
            "back": back,
        },
        status=400 if form.errors else 200,
    )


def get_project(pk):
    return get_object_or_404(Project.objects.select_related("freelancer"), pk=pk)


@permission_required("milestones.view_deliverable", raise_exception=True)
def deliverable_list(request, project_pk):
    """Every deliverable of a project, newest first, a page at a time: the project page shows
    only the newest few."""
    project = get_project(project_pk)
    page = paginate(
        request,
        Deliverable.objects.filter(project=project)
        .select_related("milestone", "freelancer", "uploaded_by", "reviewed_by")
        .newest_first(),
    )
    return render(
        request,
        "milestones/deliverable_list.html",
        {
            **page,
            "project": project,
            "deliverables": page["page"].object_list,
            "here": request.get_full_path(),
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("milestones.add_deliverable", raise_exception=True)
def deliverable_upload(request, project_pk):
    """The owner records a file they received another way, for one of the project's milestones."""
    project = get_project(project_pk)
    form = DeliverableUploadForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        project=project,
    )
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            deliverable = deliverables.receive_deliverable(
                milestone=form.cleaned_data["milestone"],
                name=upload.name,
                content=upload.read(),
                sender_email=request.user.email,
                channel=Deliverable.Channel.OWNER_UPLOAD,
                # Delivered by the freelancer, recorded by the owner: the freelancer is whom a
                # note goes to if it is sent back.
                freelancer=project.freelancer,
                uploaded_by=request.user,
                is_final=form.cleaned_data["is_final"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"“{deliverable.name}” was added to “{deliverable.milestone.title}”.")
            return redirect(project_deliverables_url(project))
    return render(
        request,
        "milestones/deliverable_upload.html",
        {"project": project, "form": form},
        status=400 if form.errors else 200,
    )


@permission_required("milestones.change_checkin", raise_exception=True)
def held_replies(request):
    """Replies by email sent from another address than the reminder's, waiting for the owner."""
    held = EmailReply.objects.filter(state=EmailReply.State.HELD).select_related(
        "checkin__project", "checkin__milestone", "freelancer", "owner"
    )
    return render(
        request,
        "milestones/held_replies.html",
        paginate(request, held.defer("raw").order_by("-received_at", "-pk")),
    )


@require_POST
@permission_required("milestones.change_checkin", raise_exception=True)
def approve_reply(request, pk):
    reply = get_object_or_404(EmailReply, pk=pk)
    try:
        inbound.approve_held_reply(reply=reply, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The reply from {reply.sender} was stored on the check-in.")
    return redirect("milestones:held_replies")


@require_POST
@permission_required("milestones.change_checkin", raise_exception=True)
def discard_reply(request, pk):
    reply = get_object_or_404(EmailReply, pk=pk)
    try:
        inbound.discard_held_reply(reply=reply, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The reply from {reply.sender} was discarded.")
    return redirect("milestones:held_replies")
