"""Deliverables: files the freelancer delivers for a milestone, and the owner's review of them.

receive_deliverable is the one way a deliverable comes in, whatever the channel (a reply
email's attachment, the check-in link, the owner's upload): the file passes the same check
as a work sample (common.uploads) and is stored under a random name. The reads the project
page needs are here too, each a fixed number of queries.
"""

import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Window
from django.utils import timezone

from common.history import attribute
from common.uploads import check_file, clean_file_name
from milestones import project_services
from milestones.models import Deliverable, Milestone, Reminder

State = Deliverable.State
# Room for a long note; a cap so one form cannot fill the database or an email.
NOTE_LIMIT = 5000


@transaction.atomic
def receive_deliverable(
    *,
    milestone,
    name: str,
    content: bytes,
    sender_email: str,
    channel: str,
    freelancer=None,
    uploaded_by=None,
    checkin=None,
    received_at: datetime.datetime | None = None,
    is_final: bool = False,
) -> Deliverable:
    """Store a file delivered for `milestone` (None only with a `checkin`, for a check-in
    planned without one: the file is then the project's). Refused with a ValidationError
    in plain words, and nothing stored, when the file is too large, empty or not an
    allowed type by its bytes (an HTML page named .pdf is refused)."""
    if milestone is None and checkin is None:
        raise ValidationError("Say which milestone the file is delivered for.")
    if channel not in Deliverable.Channel.values:
        raise ValidationError(
            {"channel": "Say how the file arrived: by reply email, the check-in link or upload."}
        )
    project = milestone.project if milestone is not None else checkin.project
    if checkin is not None and checkin.project_id != project.pk:
        raise ValidationError("The check-in and the milestone are of different projects.")
    name = clean_file_name(name)
    content = bytes(content)
    try:
        content_type = check_file(name=name, size=len(content), head=content)
    except ValidationError as error:
        raise ValidationError({"file": error.error_list}) from None
    deliverable = Deliverable(
        project=project,
        milestone=milestone,
        checkin=checkin,
        name=name,
        size=len(content),
        content_type=content_type,
        sender_email=(sender_email or "").strip(),
        freelancer=freelancer,
        uploaded_by=uploaded_by,
        received_at=received_at or timezone.now(),
        channel=channel,
        is_final=is_final,
    )
    # The stored name is random (Deliverable.file's upload_to); `name` keeps the sent one.
    deliverable.file.save(name, ContentFile(content), save=False)
    try:
        deliverable.full_clean()
    except ValidationError:
        deliverable.file.delete(save=False)
        raise
    attribute(deliverable, uploaded_by).save()
    return deliverable


def _decide(deliverable):
    """The deliverable as stored now, locked, with what a decision reads; refused when it was
    decided already (a second click, or someone else on another page), so a file is sent
    back, and its freelancer emailed, once."""
    locked = (
        Deliverable.objects.select_for_update(of=("self",))
        .select_related("project__freelancer", "milestone")
        .get(pk=deliverable.pk)
    )
    if locked.state != State.RECEIVED:
        raise ValidationError(
            f"“{locked.name}” was {locked.get_state_display().lower()} already; nothing was changed.",
            code="decided",
        )
    return locked


@transaction.atomic
def accept_deliverable(*, deliverable, by, approve_milestone=False) -> Deliverable:
    """The owner accepts a file. With `approve_milestone` it is the milestone's final
    deliverable and the milestone is approved, through the milestone status service."""
    locked = _decide(deliverable)
    milestone = locked.milestone
    if approve_milestone:
        if milestone is None:
            raise ValidationError(
                "This file is for no milestone, so there is none to approve.", code="no_milestone"
            )
        if not milestone.is_open:
            raise ValidationError(
                f"“{milestone.title}” is {milestone.get_status_display().lower()} already; "
                f"accept the file on its own.",
                code="milestone_finished",
            )
        locked.is_final = True
    locked.state = State.ACCEPTED
    locked.reviewed_at = timezone.now()
    locked.reviewed_by = by
    locked.full_clean()
    attribute(locked, by).save(update_fields=["state", "reviewed_at", "reviewed_by", "is_final"])
    if approve_milestone:
        project_services.set_milestone_status(milestone=milestone, status=Milestone.Status.APPROVED, by=by)
    return locked


def send_back_recipient(deliverable):
    """Whom the note goes to: the project's freelancer, when the file came from them (a former
    freelancer's file is not theirs to redo, and an address that only claims to be the
    freelancer's gets nothing); "" when nobody."""
    freelancer = deliverable.project.freelancer
    if freelancer is None or not freelancer.email:
        return ""
    if (
        deliverable.freelancer_id == freelancer.pk
        or deliverable.sender_email.lower() == freelancer.email.lower()
    ):
        return freelancer.email
    return ""


@transaction.atomic
def send_back_deliverable(*, deliverable, note, by) -> Reminder | None:
    """The owner sends a file back with a note saying what to change. The note is emailed to
    the freelancer through a Reminder row (one per deliverable, so one email, retried and
    shown when failed like every reminder); returns it, pending, for milestones.tasks to
    enqueue after the commit, or None when there is nobody to email."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"owner_note": "Say what needs to change before sending it back."})
    if len(note) > NOTE_LIMIT:
        raise ValidationError(
            {"owner_note": f"Keep the note under {NOTE_LIMIT} characters (it has {len(note)})."}
        )
    locked = _decide(deliverable)
    locked.state = State.SENT_BACK
    locked.owner_note = note
    locked.reviewed_at = timezone.now()
    locked.reviewed_by = by
    locked.full_clean()
    attribute(locked, by).save(update_fields=["state", "owner_note", "reviewed_at", "reviewed_by"])
    recipient = send_back_recipient(locked)
    if not recipient:
        return None
    return Reminder.objects.create(
        kind=Reminder.Kind.DELIVERABLE_SENT_BACK,
        target_type=ContentType.objects.get_for_model(Deliverable),
        target_id=locked.pk,
        recipient=recipient,
        project=locked.project,
        # A deliverable is sent back once (_decide), so this slot is sent once.
        due_slot="sent back",
        # Enqueued by the caller now: the scan leaves it alone unless that message is lost.
        enqueued_at=timezone.now(),
    )


def deliverables_for_project(project, limit=10):
    """The project's deliverables for its page: see newest_deliverables."""
    return newest_deliverables(Deliverable.objects.filter(project=project), limit=limit)


def deliverables_for_milestone(milestone, limit=10):
    return newest_deliverables(Deliverable.objects.filter(milestone=milestone), limit=limit)


def newest_deliverables(deliverables, *, limit):
    """The newest `limit` of `deliverables` with what the list shows (milestone, freelancer,
    uploader, reviewer), how many there are in all and how many more are not shown.
    One query whatever their number: the total is counted over the same rows (a window)."""
    rows = list(
        deliverables.select_related("milestone", "freelancer", "uploaded_by", "reviewed_by")
        .annotate(total=Window(Count("pk")))
        .newest_first()[:limit]
    )
    total = rows[0].total if rows else 0
    return {"deliverables": rows, "total": total, "more": total - len(rows)}
