"""Writes to milestones and check-ins that follow business rules, each in one transaction.

Views, admin actions and tasks all call these, so a rule holds however the
change is made. Each raises ValidationError with plain words when refused.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from milestones.models import CheckIn

RECORDED_FIELDS = ["held_on", "progress_note", "on_track", "questions", "next_steps"]


def _by(instance, user):
    # django-simple-history records this user as the author of the change.
    instance._history_user = user
    return instance


def check_held_on(held_on):
    """A check-in is recorded once it is held: on a day, and not one still to come."""
    if held_on is None:
        raise ValidationError("Say on which day the check-in was held.")
    if held_on > timezone.localdate():
        raise ValidationError("This date is in the future: record a check-in once it is held.")


@transaction.atomic
def record_checkin(
    *,
    checkin: CheckIn,
    held_on: datetime.date,
    progress_note: str,
    on_track: str,
    questions: str = "",
    next_steps: str = "",
    by,
) -> CheckIn:
    """Record what came of a check-in: when it was held, progress, on track or not, and what next.

    A check-in already held is recorded again the same way: the new words replace
    the old, and the history keeps both.
    """
    try:
        check_held_on(held_on)
    except ValidationError as error:
        raise ValidationError({"held_on": error.messages}) from None
    if not (progress_note or "").strip():
        raise ValidationError({"progress_note": "Say how the work is going."})
    if on_track not in CheckIn.OnTrack.values:
        raise ValidationError({"on_track": "Choose green, amber or red."})
    checkin.held_on = held_on
    checkin.progress_note = (progress_note or "").strip()
    checkin.on_track = on_track
    checkin.questions = (questions or "").strip()
    checkin.next_steps = (next_steps or "").strip()
    checkin.full_clean()
    _by(checkin, by).save(update_fields=RECORDED_FIELDS)
    return checkin
