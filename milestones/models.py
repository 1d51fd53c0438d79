"""Milestones and check-ins: the touch points that keep a project honest."""

import secrets

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from common.constraints import FieldCheckConstraint
from common.uploads import random_stored_name
from freelancers.models import validate_timezone


class MilestoneQuerySet(models.QuerySet):
    def open(self):
        """Milestones still to be finished: neither approved nor cancelled."""
        return self.exclude(status__in=Milestone.FINISHED)

    def current(self):
        """The earliest-due open milestone, or None: the one work is on now, whose declared
        share done the forecast counts (projects.forecast.current_milestone, same order)."""
        return self.open().order_by("due_on", "order", "pk").first()


class Milestone(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        CANCELLED = "cancelled", "Cancelled"

    # A milestone is open until it is one of these; MilestoneQuerySet.open() and is_open say so.
    FINISHED = frozenset({Status.APPROVED, Status.CANCELLED})

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=160)
    due_on = models.DateField("due date")
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    status = models.CharField(max_length=20, choices=Status, default=Status.PLANNED)
    order = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()
    objects = MilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["project", "order", "due_on", "pk"]
        constraints = [
            FieldCheckConstraint(
                condition=Q(amount__gte=0),
                name="milestone_amount_not_negative",
                field="amount",
                violation_error_message="The amount cannot be negative.",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="milestone_status_due_idx"),
            # The admin's order: by due date alone.
            models.Index(fields=["due_on", "id"], name="milestone_due_idx"),
            # The dashboard's week: open milestones by due date. Finished ones are nine in ten of
            # all and stay dated in the past, so a scan by date alone starts by passing them all.
            # The statuses are FINISHED's (not in reach here); a test holds them to it.
            models.Index(
                fields=["due_on"],
                condition=~Q(status__in=["approved", "cancelled"]),
                name="milestone_open_due_idx",
            ),
        ]

    def __str__(self):
        return self.title

    def clean_fields(self, exclude=None):
        # The leeway rule is checked here rather than in clean(): a form without the due date
        # (a status-only change) leaves it excluded, and its error belongs beside that field.
        super().clean_fields(exclude=exclude)
        if exclude and "due_on" in exclude:
            return
        project = self.project if self.project_id or Milestone.project.is_cached(self) else None
        if project is not None and (problem := project.milestone_due_problem(self.due_on)):
            raise ValidationError({"due_on": problem})

    @property
    def is_open(self):
        return self.status not in self.FINISHED

    @property
    def days_late(self):
        return (timezone.localdate() - self.due_on).days if self.is_open else 0


# What the owner records of a check-in and what the freelancer posts through their link.
CHECKIN_WRITTEN_FIELDS = (
    "progress_note",
    "on_track",
    "questions",
    "next_steps",
    "freelancer_progress",
    "freelancer_on_track",
    "freelancer_questions",
    "freelancer_blockers",
)


class CheckInQuerySet(models.QuerySet):
    def held(self):
        return self.filter(held_on__isnull=False)

    def planned(self):
        return self.filter(held_on__isnull=True)

    def overdue(self, now=None):
        return self.planned().filter(scheduled_for__lt=now or timezone.now())

    def upcoming(self, now=None):
        return self.planned().filter(scheduled_for__gte=now or timezone.now())

    def with_writing(self):
        """Check-ins with something a person wrote in them: the owner's notes or the
        freelancer's update. Nothing done to a project as a side effect deletes these."""
        # The freelancer's share done comes only with their update (freelancer_updated_at).
        written = Q(freelancer_updated_at__isnull=False)
        for field in CHECKIN_WRITTEN_FIELDS:
            written |= ~Q(**{field: ""})
        return self.filter(written)

    def announced(self):
        """Check-ins someone was emailed about: the email's links (the freelancer's
        signed link, the owner's record link) name this very row."""
        sent = Reminder.objects.filter(
            target_type=ContentType.objects.get_for_model(self.model),
            target_id=OuterRef("pk"),
            state=Reminder.State.SENT,
        )
        return self.filter(Exists(sent))


class CheckIn(models.Model):
    """A planned touch point with the freelancer, and what came of it once held."""

    class OnTrack(models.TextChoices):
        GREEN = "green", "On track"
        AMBER = "amber", "Some concerns"
        RED = "red", "Off track"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="checkins")
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.SET_NULL, related_name="checkins"
    )
    scheduled_for = models.DateTimeField()
    held_on = models.DateField(null=True, blank=True)
    progress_note = models.TextField("progress", blank=True)
    on_track = models.CharField(max_length=10, choices=OnTrack, blank=True)
    questions = models.TextField("questions raised", blank=True)
    next_steps = models.TextField(blank=True)
    # What the freelancer posted through their signed link, kept apart from the owner's notes.
    freelancer_progress = models.TextField(blank=True)
    freelancer_on_track = models.CharField(max_length=10, choices=OnTrack, blank=True)
    freelancer_questions = models.TextField(blank=True)
    freelancer_blockers = models.TextField(blank=True)
    # How much of a milestone the freelancer says is done, and which milestone: the one the
    # check-in comes before, or the project's current one. Kept with the milestone it was
    # said of, so a share declared of a milestone since approved never counts for the next.
    freelancer_percent_done = models.PositiveSmallIntegerField("share done (%)", null=True, blank=True)
    freelancer_percent_of = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.SET_NULL, related_name="declared_shares"
    )
    freelancer_updated_at = models.DateTimeField(null=True, blank=True)
    update_read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = CheckInQuerySet.as_manager()

    class Meta:
        ordering = ["scheduled_for", "pk"]
        constraints = [
            FieldCheckConstraint(
                condition=Q(freelancer_percent_done__isnull=True) | Q(freelancer_percent_done__lte=100),
                name="checkin_percent_done_0_to_100",
                field="freelancer_percent_done",
                violation_error_message="Say how much is done, from 0 to 100.",
            ),
        ]
        indexes = [
            models.Index(fields=["held_on", "scheduled_for"], name="checkin_due_idx"),
            models.Index(fields=["project", "scheduled_for"], name="checkin_project_idx"),
            # The dashboard's week and the check-ins page: check-ins still to hold, in time order,
            # read from a date onwards until a page is full. Held ones are nine in ten.
            models.Index(
                fields=["scheduled_for", "id"], condition=Q(held_on__isnull=True), name="checkin_planned_idx"
            ),
            # The scan's "gone quiet": each project's last held check-in, one index entry each.
            models.Index(
                fields=["project", "held_on"],
                condition=Q(held_on__isnull=False),
                name="checkin_last_held_idx",
            ),
            # The dashboard's unread updates: a handful among all check-ins, newest first.
            models.Index(
                fields=["-freelancer_updated_at"],
                condition=Q(freelancer_updated_at__isnull=False, update_read_at__isnull=True),
                name="checkin_unread_update_idx",
            ),
        ]

    def __str__(self):
        when = timezone.localtime(self.scheduled_for)
        return f"Check-in on {self.project} at {when:%Y-%m-%d %H:%M}"

    @property
    def is_held(self):
        return self.held_on is not None

    @property
    def is_overdue(self):
        return not self.is_held and self.scheduled_for < timezone.now()


class Reminder(models.Model):
    """The log of every reminder. Its unique constraint, not the broker, guarantees
    one email per reminder: the scan inserts rows and ignores conflicts."""

    class Kind(models.TextChoices):
        CHECKIN_UPCOMING = "checkin_upcoming", "Check-in coming up"
        CHECKIN_MISSED = "checkin_missed", "Check-in missed"
        MILESTONE_DUE_SOON = "milestone_due_soon", "Milestone due soon"
        MILESTONE_OVERDUE = "milestone_overdue", "Milestone overdue"
        GONE_QUIET = "gone_quiet", "Freelancer gone quiet"
        BUDGET_ALERT = "budget_alert", "Budget alert"
        ACCESS_TO_REVOKE = "access_to_revoke", "Access to revoke"
        REVIEW_OWED = "review_owed", "Review owed"
        DELIVERABLE_SENT_BACK = "deliverable_sent_back", "Deliverable sent back"
        FORECAST_OVERRUN = "forecast_overrun", "Forecast overrun"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        # Claimed by a worker that is sending it now; see milestones/delivery.py.
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    # Emails the owner sends by acting (sending a deliverable back with a note), not reminders
    # the scan finds: they go out whatever the reminder settings say, which leave them out.
    SENT_ON_ACTION = frozenset({Kind.DELIVERABLE_SENT_BACK})

    kind = models.CharField(max_length=30, choices=Kind)
    target_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.CASCADE, related_name="+")
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    recipient = models.EmailField()
    # The owner the reminder is for (None when it goes to a freelancer): their
    # preferences apply, and the email links back into the app for them.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    # Which occurrence this is: a check-in's time, a budget threshold, a week...
    due_slot = models.CharField(max_length=40)
    state = models.CharField(max_length=10, choices=State, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # When a worker (or a digest) last claimed it for sending.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "target_type", "target_id", "recipient", "due_slot"],
                name="one_reminder_per_slot",
            )
        ]
        indexes = [
            models.Index(fields=["state", "enqueued_at"], name="reminder_state_idx"),
            # The admin's order, newest first.
            models.Index(fields=["created_at", "id"], name="reminder_created_idx"),
            # The dry run looks rows up by their target alone.
            models.Index(fields=["target_id", "target_type"], name="reminder_target_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient} ({self.get_state_display().lower()})"


class ReminderPreference(models.Model):
    """What one user wants to be reminded of, and how; and the time zone they read times in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_preference"
    )
    muted_kinds = models.JSONField(default=list, blank=True)
    daily_digest = models.BooleanField(
        "one morning digest",
        default=False,
        help_text="One email each morning listing everything due that day.",
    )
    updates_mark_held = models.BooleanField(
        "a freelancer's update counts as the check-in",
        default=False,
        help_text="When a freelancer posts an update through their link, mark the check-in held.",
    )
    # Blank follows the site's TIME_ZONE, whatever it is set to later.
    time_zone = models.CharField(max_length=64, blank=True, validators=[validate_timezone])

    def __str__(self):
        return f"Reminder preferences of {self.user}"

    def wants(self, kind):
        return kind not in self.muted_kinds


class CalendarFeed(models.Model):
    """An owner's secret calendar address: whoever holds the secret can read the feed,
    so it is revocable, and making a new one kills the old."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    secret = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Calendar feed of {self.user}"

    def get_absolute_url(self):
        return reverse("calendar_feed", args=[self.secret])

    @classmethod
    def rotate(cls, user):
        """Give `user` a fresh secret, replacing (and so revoking) any previous one."""
        feed, _ = cls.objects.update_or_create(
            user=user, defaults={"secret": secrets.token_urlsafe(32), "created_at": timezone.now()}
        )
        return feed


def deliverable_upload_path(instance, filename):
    return random_stored_name("deliverables", filename)


class DeliverableQuerySet(models.QuerySet):
    def newest_first(self):
        return self.order_by("-received_at", "-pk")


class Deliverable(models.Model):
    """A file the freelancer delivered for a milestone: an attachment of their reply to a
    reminder, a file posted through their check-in link, or one the owner uploaded for them;
    and what the owner made of it.

    The file is the sender's work: nothing deletes it as a side effect. Its project is
    PROTECTed (projects are archived, not deleted) and a removed milestone leaves it
    untied (SET_NULL) but still on the project, as a removed milestone's payments and
    check-ins are."""

    class Channel(models.TextChoices):
        REPLY_EMAIL = "reply_email", "Reply email"
        LINK = "link", "Check-in link"
        OWNER_UPLOAD = "owner_upload", "Owner upload"

    class State(models.TextChoices):
        RECEIVED = "received", "Received"
        ACCEPTED = "accepted", "Accepted"
        SENT_BACK = "sent_back", "Sent back"

    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="deliverables")
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliverables"
    )
    # The check-in whose reminder (or link) it came in answer to.
    checkin = models.ForeignKey(
        CheckIn, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliverables"
    )
    file = models.FileField(upload_to=deliverable_upload_path, max_length=200)
    # The file's name as sent, kept as data only: the stored name is random.
    name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField(help_text="In bytes.")
    # Read from the file's bytes when it arrived, and served with it.
    content_type = models.CharField(max_length=100)
    sender_email = models.EmailField("from", blank=True)
    freelancer = models.ForeignKey(
        "freelancers.Freelancer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliverables",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=20, choices=Channel)
    state = models.CharField(max_length=20, choices=State, default=State.RECEIVED)
    owner_note = models.TextField("note", blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_final = models.BooleanField("final deliverable of the milestone", default=False)

    history = HistoricalRecords()
    objects = DeliverableQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=["reply_email", "link", "owner_upload"]),
                name="deliverable_channel_known",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["received", "accepted", "sent_back"]),
                name="deliverable_state_known",
            ),
            # A reviewed deliverable says when; one still to review has no review time.
            models.CheckConstraint(
                condition=Q(state="received", reviewed_at__isnull=True)
                | (~Q(state="received") & Q(reviewed_at__isnull=False)),
                name="deliverable_reviewed_when_decided",
            ),
            FieldCheckConstraint(
                condition=~Q(state="sent_back") | ~Q(owner_note=""),
                name="deliverable_sent_back_with_note",
                field="owner_note",
                violation_error_message="Say what needs to change before sending it back.",
            ),
        ]
        indexes = [
            # The project page and a milestone's list: newest first.
            models.Index(fields=["project", "-received_at", "-id"], name="deliverable_project_idx"),
            models.Index(fields=["milestone", "-received_at", "-id"], name="deliverable_milestone_idx"),
            # The admin's order over all of them, newest first.
            models.Index(fields=["received_at", "id"], name="deliverable_received_idx"),
        ]

    def __str__(self):
        return self.name

    def get_download_url(self):
        return reverse("milestones:deliverable_download", args=[self.pk])

    @property
    def sender(self):
        """From whom, in words: the freelancer's name, else the address it came from."""
        if self.freelancer is not None:
            return self.freelancer.name
        return self.sender_email


class EmailReply(models.Model):
    """A reply to a reminder by email that was stored or held for the owner.

    Its message key (from the Message-ID) is unique, so the same message delivered twice (an
    ESP retrying, a sender's server resending) is stored once, however close together the two
    deliveries come: the second waits on the unique index and then finds the first.
    Replies refused or ignored on arrival are only logged (milestones/inbound.py)."""

    class State(models.TextChoices):
        STORED = "stored", "Stored"
        # From an address that is not the recipient's: waits for the owner to approve or discard.
        HELD = "held", "Held for the owner"
        APPROVED = "approved", "Approved by the owner"
        DISCARDED = "discarded", "Discarded by the owner"

    # sha256 of the Message-ID, or of the whole message when it has none.
    message_key = models.CharField(max_length=64, unique=True)
    message_id = models.CharField(max_length=255, blank=True)
    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="email_replies")
    # Whose reminder it answers: the freelancer's (their update), or the owner's (their note).
    freelancer = models.ForeignKey(
        "freelancers.Freelancer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sender = models.CharField(max_length=320)
    subject = models.CharField(max_length=255, blank=True)
    # What was written above the quoted part.
    text = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=State)
    # Why it was held, and what became of its attachments.
    reason = models.TextField(blank=True)
    via = models.CharField("received through", max_length=40)
    received_at = models.DateTimeField(default=timezone.now)
    # The whole message while it is held, stored as received once approved; emptied after.
    raw = models.BinaryField(blank=True, default=b"", editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name_plural = "email replies"
        indexes = [
            # The held replies page: the few waiting among every reply ever received.
            models.Index(
                fields=["-received_at", "-id"], condition=Q(state="held"), name="email_reply_held_idx"
            ),
        ]

    def __str__(self):
        return f"Reply from {self.sender} on {self.checkin} ({self.get_state_display().lower()})"

    @property
    def from_owner(self):
        return self.owner_id is not None
