"""Milestones and check-ins: the touch points that keep a project honest."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from outsourcing.constraints import FieldCheckConstraint


class Milestone(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        CANCELLED = "cancelled", "Cancelled"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=160)
    due_on = models.DateField("due date")
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    status = models.CharField(max_length=20, choices=Status, default=Status.PLANNED)
    order = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

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
        indexes = [models.Index(fields=["status", "due_on"], name="milestone_status_due_idx")]

    def __str__(self):
        return self.title

    @property
    def is_open(self):
        return self.status not in {self.Status.APPROVED, self.Status.CANCELLED}

    @property
    def days_late(self):
        return (timezone.localdate() - self.due_on).days if self.is_open else 0


class CheckInQuerySet(models.QuerySet):
    def held(self):
        return self.filter(held_on__isnull=False)

    def planned(self):
        return self.filter(held_on__isnull=True)

    def overdue(self, now=None):
        return self.planned().filter(scheduled_for__lt=now or timezone.now())

    def upcoming(self, now=None):
        return self.planned().filter(scheduled_for__gte=now or timezone.now())


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
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = CheckInQuerySet.as_manager()

    class Meta:
        ordering = ["scheduled_for", "pk"]
        indexes = [
            models.Index(fields=["held_on", "scheduled_for"], name="checkin_due_idx"),
            models.Index(fields=["project", "scheduled_for"], name="checkin_project_idx"),
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
