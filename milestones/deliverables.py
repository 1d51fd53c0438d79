"""Deliverables: files the freelancer delivers for a milestone, and the owner's review of them.

receive_deliverable is the one way a deliverable comes in, whatever the channel (a reply
email's attachment, the check-in link, the owner's upload): the file passes the same check
as a work sample (common.uploads) and is stored under a random name. The reads the project
page needs are here too, each a fixed number of queries.
"""

import datetime

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from common.uploads import check_file, clean_file_name
from milestones.models import Deliverable


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
    _by(deliverable, uploaded_by).save()
    return deliverable


def _by(instance, user):
    # django-simple-history records this user as the author of the change.
    instance._history_user = user
    return instance
