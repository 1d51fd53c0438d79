"""Writes to milestones and check-ins that follow business rules, each in one transaction.

Views, admin actions and tasks all call these, so a rule holds however the
change is made. Each raises ValidationError with plain words when refused.
"""

import datetime
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from common.history import attribute
from milestones import emails
from milestones.links import reachable_checkins
from milestones.models import CheckIn, Milestone, ReminderPreference

logger = logging.getLogger(__name__)

RECORDED_FIELDS = ["held_on", "progress_note", "on_track", "questions", "next_steps"]


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
    by_email: bool = False,
) -> CheckIn:
    """Record what came of a check-in: when it was held, progress, on track or not, and what next.

    A check-in already held is recorded again the same way: the new words replace
    the old, and the history keeps both. An owner's reply by email (`by_email`) may leave
    on track unsaid: nobody can ask them for it there.
    """
    try:
        check_held_on(held_on)
    except ValidationError as error:
        raise ValidationError({"held_on": error.messages}) from None
    if not (progress_note or "").strip():
        raise ValidationError({"progress_note": "Say how the work is going."})
    if on_track not in CheckIn.OnTrack.values and not (by_email and on_track == ""):
        raise ValidationError({"on_track": "Choose green, amber or red."})
    checkin.held_on = held_on
    checkin.progress_note = (progress_note or "").strip()
    checkin.on_track = on_track
    checkin.questions = (questions or "").strip()
    checkin.next_steps = (next_steps or "").strip()
    checkin.full_clean()
    attribute(checkin, by).save(update_fields=RECORDED_FIELDS)
    # Recording the check-in means the owner has seen the freelancer's update too.
    mark_update_read(checkin=checkin)
    return checkin


# Room for a long update; a cap so nobody can fill the database through a public form.
UPDATE_TEXT_LIMIT = 5000
UPDATE_FIELDS = {
    "progress": "freelancer_progress",
    "on_track": "freelancer_on_track",
    "questions": "freelancer_questions",
    "blockers": "freelancer_blockers",
}
LINK_CLOSED = "This check-in no longer takes updates."
PERCENT_DONE_WORDS = "Say how much is done as a whole number from 0 to 100, or leave it empty."


def milestone_to_declare(checkin):
    """The milestone a freelancer says the share done of on this check-in: the one it comes
    before while that is open, else the project's current (earliest-due open) one; None when
    every milestone is finished."""
    if checkin.milestone is not None and checkin.milestone.is_open:
        return checkin.milestone
    return Milestone.objects.filter(project_id=checkin.project_id).current()


@transaction.atomic
def post_freelancer_update(
    *,
    checkin: CheckIn,
    freelancer,
    progress: str,
    on_track: str,
    questions: str = "",
    blockers: str = "",
    by_email: bool = False,
    percent_done: int | None = None,
) -> str:
    """Store the update a freelancer posted through their link, and email the project's owner.

    `percent_done` (0–100, or None for not said) is how much of milestone_to_declare() is
    done; it is stored with that milestone and earns value in the project's forecast.

    Returns "posted", "revised" (a later update replacing an earlier one, owner emailed again)
    or "repeated" (the very update already stored, e.g. a form posted twice: nothing changes
    and no email goes out). The update clears the owner's "read" mark and, when the owner's
    preferences say so, holds the check-in. Refused with a ValidationError (code "closed")
    once the check-in is held, the project is no longer in progress or the freelancer is no
    longer on it; with errors keyed by field for bad input. A reply by email (`by_email`) may
    leave on track unsaid ("").
    """
    posted = {"progress": progress, "on_track": on_track, "questions": questions, "blockers": blockers}
    posted = {field: (value or "").strip() for field, value in posted.items()}
    errors = {}
    if not posted["progress"]:
        errors["progress"] = "Say how the work is going."
    if posted["on_track"] not in CheckIn.OnTrack.values and not (by_email and posted["on_track"] == ""):
        errors["on_track"] = "Choose green, amber or red."
    for field, value in posted.items():
        if len(value) > UPDATE_TEXT_LIMIT:
            errors[field] = f"Keep this under {UPDATE_TEXT_LIMIT} characters (it has {len(value)})."
    if percent_done is not None and (
        type(percent_done) is not int or not 0 <= percent_done <= 100  # bool is an int too
    ):
        errors["percent_done"] = PERCENT_DONE_WORDS
    if errors:
        raise ValidationError(errors)

    # Read the row as it is now, locked, not the copy the caller read before someone changed it.
    locked = (
        reachable_checkins(freelancer.pk)
        .select_related("project__owner", "project__freelancer", "milestone")
        .select_for_update(of=("self",))
        .filter(pk=checkin.pk)
        .first()
    )
    if locked is None:
        raise ValidationError(LINK_CLOSED, code="closed")
    stored = {field: getattr(locked, column) for field, column in UPDATE_FIELDS.items()}
    stored["percent_done"] = locked.freelancer_percent_done
    posted["percent_done"] = percent_done
    if locked.freelancer_updated_at is not None and stored == posted:
        return "repeated"
    if locked.is_held:
        raise ValidationError(LINK_CLOSED, code="closed")
    declared_of = milestone_to_declare(locked) if percent_done is not None else None
    if percent_done is not None and declared_of is None:
        raise ValidationError(
            {"percent_done": "Every milestone is finished: there is nothing to say this of."}
        )

    outcome = "posted" if locked.freelancer_updated_at is None else "revised"
    for field, column in UPDATE_FIELDS.items():
        setattr(locked, column, posted[field])
    locked.freelancer_percent_done = percent_done
    locked.freelancer_percent_of = declared_of
    locked.freelancer_updated_at = timezone.now()
    locked.update_read_at = None  # the dashboard shows it as unread again
    changed = [
        *UPDATE_FIELDS.values(),
        "freelancer_percent_done",
        "freelancer_percent_of",
        "freelancer_updated_at",
        "update_read_at",
    ]
    owner = locked.project.owner
    if ReminderPreference.objects.filter(user=owner, updates_mark_held=True).exists():
        locked.held_on = timezone.localdate()
        changed.append("held_on")
    locked.full_clean()
    locked._change_reason = f"Update from {freelancer.name}"[:100]
    locked.save(update_fields=changed)
    checkin.refresh_from_db()

    if owner.email:
        message = emails.freelancer_update(locked, revised=outcome == "revised")
        # Robust: the update is stored whatever the mail server says; a failure is logged.
        transaction.on_commit(message.send, robust=True)
    else:
        logger.warning("Owner of project %s has no email address: update not sent", locked.project_id)
    return outcome


def mark_update_read(*, checkin):
    if checkin.freelancer_updated_at and not checkin.update_read_at:
        checkin.update_read_at = timezone.now()
        checkin.save(update_fields=["update_read_at"])
    return checkin
