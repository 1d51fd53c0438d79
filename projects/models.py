"""Projects: budget with contingency, schedule with leeway, who worked on them, payments, reviews."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, Count, ExpressionWrapper, F, Min, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Greatest, Least, Round
from django.db.models.lookups import GreaterThan, LessThanOrEqual
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from common.constraints import FieldCheckConstraint, FieldUniqueConstraint
from common.db_functions import DaysBetween, OuterValue
from common.money import CurrencyField
from freelancers.models import Freelancer
from projects import forecast, health

RATING_CHOICES = [(n, str(n)) for n in range(1, 6)]
# A review averaging at least this, from someone you would hire again, is "rated well".
RATED_WELL_AVERAGE = Decimal(4)
# A backup who has not confirmed availability for this long may no longer be free.
BACKUP_STALE_AFTER = datetime.timedelta(days=30)


def rating_constraint(field, model_name):
    return FieldCheckConstraint(
        condition=Q(**{f"{field}__gte": 1, f"{field}__lte": 5}),
        name=f"{model_name}_{field}_1_to_5",
        field=field,
        violation_error_message="A rating goes from 1 to 5.",
    )


class ProjectQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Project.Status.ACTIVE)

    def current(self):
        """Not archived."""
        return self.filter(archived_at__isnull=True)

    def in_progress(self):
        """Projects whose check-ins and reminders matter now: not archived, active or on hold."""
        return self.current().filter(status__in=[Project.Status.ACTIVE, Project.Status.ON_HOLD])

    def with_health(self, today=None):
        """Annotate money, progress and health, computed in the database so that lists
        filter, sort and page by them without loading milestones or payments.

        The levels follow the same boundaries as projects/health.py (a test runs every
        boundary through both): budget green up to the budget, amber inside the
        contingency, red beyond; schedule green until the worst open milestone (or the
        project) is due, amber inside the leeway, red beyond. `health_rank` sorts red first.
        """
        # Milestones build on projects: reach their model through the relation, not an import.
        Milestone = Project._meta.get_field("milestones").related_model
        settled = [Project.Status.COMPLETED, Project.Status.CANCELLED]
        today = today or timezone.localdate()
        money = models.DecimalField(max_digits=14, decimal_places=2)
        per_project = {"project": models.OuterRef("pk")}

        def total(queryset, field):
            summed = queryset.filter(**per_project).order_by().values("project").annotate(total=Sum(field))
            return Coalesce(
                Subquery(summed.values("total"), output_field=money), Value(Decimal(0)), output_field=money
            )

        open_milestones = Milestone.objects.filter(**per_project).open()
        worst_open = open_milestones.order_by("due_on", "order", "pk")
        counted = Milestone.objects.filter(**per_project).exclude(status=Milestone.Status.CANCELLED)

        def lateness_rank(due_on, leeway):
            late = DaysBetween(Value(today), due_on)
            return Case(
                When(GreaterThan(late, 0) & GreaterThan(late, leeway), then=Value(health.RANK[health.RED])),
                When(GreaterThan(late, 0), then=Value(health.RANK[health.AMBER])),
                default=Value(health.RANK[health.GREEN]),
            )

        # Each level is one subquery that returns the rank itself, so PostgreSQL runs it once a
        # row: a rank built from other annotations would repeat their subqueries at every use.
        # Money compares whole cents: exact on PostgreSQL, and free of float noise on SQLite.
        spent_cents = Round(Sum("amount") * 100)

        def cents(amount):
            return Round(ExpressionWrapper(amount, output_field=money))

        outer_budget = cents(models.OuterRef("budget") * 100)
        budget_cents = OuterValue(outer_budget, output_field=money)
        limit_cents = OuterValue(
            outer_budget + cents(models.OuterRef("budget") * models.OuterRef("budget_buffer_percent")),
            output_field=money,
        )
        budget_rank = (
            Payment.objects.filter(**per_project)
            .order_by()
            .values("project")
            .annotate(
                rank=Case(
                    When(
                        LessThanOrEqual(spent_cents, budget_cents),
                        then=Value(health.RANK[health.GREEN]),
                    ),
                    When(
                        LessThanOrEqual(spent_cents, limit_cents),
                        then=Value(health.RANK[health.AMBER]),
                    ),
                    default=Value(health.RANK[health.RED]),
                )
            )
            .values("rank")
        )
        # The latest of the project's due date and its open milestones' decides.
        schedule_rank = (
            open_milestones.order_by()
            .values("project")
            .annotate(
                rank=lateness_rank(
                    Least(
                        OuterValue(models.OuterRef("due_on"), output_field=models.DateField()),
                        Min("due_on"),
                        output_field=models.DateField(),
                    ),
                    OuterValue(models.OuterRef("schedule_buffer_days"), output_field=models.IntegerField()),
                )
            )
            .values("rank")
        )
        return (
            self.annotate(
                spent_total=total(Payment.objects, "amount"),
                committed_total=total(counted, "amount"),
                contingency_amount=Round(
                    F("budget") * F("budget_buffer_percent") / 100, 2, output_field=money
                ),
                worst_milestone_title=Subquery(worst_open.values("title")[:1]),
                worst_milestone_due_on=Subquery(worst_open.values("due_on")[:1]),
                milestone_count=Subquery(
                    counted.values("project").annotate(n=Count("pk")).values("n"),
                    output_field=models.IntegerField(),
                ),
                approved_count=Subquery(
                    counted.filter(status=Milestone.Status.APPROVED)
                    .values("project")
                    .annotate(n=Count("pk"))
                    .values("n"),
                    output_field=models.IntegerField(),
                ),
            )
            .annotate(
                days_late=DaysBetween(
                    Value(today), Least(F("due_on"), Coalesce(F("worst_milestone_due_on"), F("due_on")))
                ),
                budget_rank=Coalesce(
                    Subquery(budget_rank, output_field=models.IntegerField()),
                    Value(health.RANK[health.GREEN]),
                ),
                schedule_rank=Case(
                    When(status__in=settled, then=Value(health.RANK[health.GREEN])),
                    default=Coalesce(
                        Subquery(schedule_rank, output_field=models.IntegerField()),
                        lateness_rank(F("due_on"), F("schedule_buffer_days")),
                    ),
                ),
            )
            .annotate(health_rank=Least("budget_rank", "schedule_rank"))
        )

    def with_spending(self, today=None):
        """Annotate what a forecast reads of the payments, summed in the database so many
        projects cost one query: `paid_to_date` (paid on or before today) and `paid_recently`
        (within forecast.recent_window: the last RECENT_DAYS days, or since the start)."""
        today = today or timezone.localdate()
        money = models.DecimalField(max_digits=14, decimal_places=2)
        recent_since = Greatest(
            Value(today - datetime.timedelta(days=forecast.RECENT_DAYS)),
            models.OuterRef("start_on"),
            output_field=models.DateField(),
        )
        paid = Payment.objects.filter(project=models.OuterRef("pk"), paid_on__lte=today).order_by()

        def total(payments):
            summed = payments.values("project").annotate(total=Sum("amount")).values("total")
            return Coalesce(Subquery(summed, output_field=money), Value(Decimal(0)), output_field=money)

        return self.annotate(
            paid_to_date=total(paid), paid_recently=total(paid.filter(paid_on__gte=recent_since))
        )

    def with_details(self):
        """What health, money and progress need, in a fixed number of queries."""
        return self.select_related("freelancer", "owner").prefetch_related("milestones", "payments")

    def reviews_owed(self):
        """Completed projects whose current freelancer has not been reviewed yet."""
        reviewed = Review.objects.filter(
            project=models.OuterRef("pk"), freelancer=models.OuterRef("freelancer")
        )
        return self.filter(status=Project.Status.COMPLETED, freelancer__isnull=False).exclude(
            models.Exists(reviewed)
        )


class Project(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        ON_HOLD = "on_hold", "On hold"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    title = models.CharField(max_length=160)
    brief = models.TextField(blank=True, help_text="What is to be done, and what “done” looks like.")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="projects")
    freelancer = models.ForeignKey(
        "freelancers.Freelancer", null=True, blank=True, on_delete=models.PROTECT, related_name="projects"
    )
    skills = models.ManyToManyField("freelancers.Skill", blank=True, related_name="projects")
    is_trial = models.BooleanField(
        "trial job", default=False, help_text="A small first job to test a freelancer."
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.DRAFT)
    start_on = models.DateField("start")
    due_on = models.DateField("due date")
    schedule_buffer_days = models.PositiveSmallIntegerField(
        "schedule leeway (days)", default=3, help_text="Days the work may run late before it is in trouble."
    )
    budget = models.DecimalField(max_digits=12, decimal_places=2)
    currency = CurrencyField()
    budget_buffer_percent = models.DecimalField(
        "budget contingency (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal(10),
        help_text="Extra money, as a percentage of the budget, you are ready to spend if things go wrong.",
    )
    checkin_every_days = models.PositiveSmallIntegerField(
        "check in every (days)", default=7, help_text="How often you and the freelancer touch base."
    )
    reminders_muted = models.BooleanField(
        "mute reminders", default=False, help_text="Send no reminder emails about this project."
    )
    trust_override_reason = models.TextField(blank=True, editable=False)
    trust_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    completed_on = models.DateField(null=True, blank=True, editable=False)
    completion_note = models.TextField(blank=True, editable=False)
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        permissions = [
            ("change_project_budget", "Can change a project's budget and buffers"),
            # Seeing money at all; common.policy is the one place that asks.
            ("view_money", "Can see budgets, spending and payments"),
        ]
        constraints = [
            FieldCheckConstraint(
                condition=Q(budget__gte=0),
                name="project_budget_not_negative",
                field="budget",
                violation_error_message="The budget cannot be negative.",
            ),
            FieldCheckConstraint(
                condition=Q(budget_buffer_percent__gte=0, budget_buffer_percent__lte=100),
                name="project_buffer_percent_0_to_100",
                field="budget_buffer_percent",
                violation_error_message="The contingency is a percentage from 0 to 100.",
            ),
            FieldCheckConstraint(
                condition=Q(due_on__gte=F("start_on")),
                name="project_due_after_start",
                field="due_on",
                violation_error_message="The due date cannot be before the start.",
            ),
            FieldCheckConstraint(
                condition=Q(checkin_every_days__gte=1),
                name="project_cadence_at_least_a_day",
                field="checkin_every_days",
                violation_error_message="Check in at least every day, i.e. 1 or more.",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="project_status_due_idx"),
            models.Index(fields=["freelancer", "status"], name="project_freelancer_idx"),
            # The admin's order over every project.
            models.Index(fields=["due_on", "id"], name="project_due_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("projects:detail", args=[self.pk])

    # Money. Milestones and payments come from with_details()'s prefetch when present.

    @property
    def contingency(self):
        return health.contingency_of(self.budget, self.budget_buffer_percent)

    @property
    def budget_with_contingency(self):
        return self.budget + self.contingency

    @property
    def spent(self):
        if hasattr(self, "spent_total"):  # annotated by with_health()
            return self.spent_total
        return sum((payment.amount for payment in self.payments.all()), Decimal(0))

    @property
    def committed(self):
        """What the milestones add up to, cancelled ones left out."""
        if hasattr(self, "committed_total"):  # annotated by with_health()
            return self.committed_total
        return sum(
            (m.amount for m in self.milestones.all() if m.status != m.Status.CANCELLED),
            Decimal(0),
        )

    @property
    def remaining(self):
        """What is left to spend, contingency included (negative when over)."""
        return self.budget_with_contingency - self.spent

    @property
    def overspent(self):
        """How far spending is beyond budget plus contingency, 0 when it is not."""
        return max(-self.remaining, Decimal(0))

    @property
    def budget_health(self):
        return health.budget_health(
            spent=self.spent,
            budget=self.budget,
            buffer_percent=self.budget_buffer_percent,
            currency=self.currency,
        )

    # Schedule.

    @property
    def open_milestones(self):
        return [m for m in self.milestones.all() if m.is_open]

    @property
    def schedule_health(self):
        """The latest of the project's due date and its unfinished milestones decides."""
        if self.status == self.Status.COMPLETED:
            return health.Health(health.GREEN, "completed")
        if self.status == self.Status.CANCELLED:
            return health.Health(health.GREEN, "cancelled")
        what, days_late = self._latest_thing()
        return health.lateness_health(what=what, days_late=days_late, leeway_days=self.schedule_buffer_days)

    def _latest_thing(self):
        """(what, days late) of the latest of the project and its open milestones; on a tie
        the milestone is named, as it is the more precise answer."""
        if hasattr(self, "days_late"):  # annotated by with_health()
            due = self.worst_milestone_due_on
            if due is not None and due <= self.due_on:
                return f"milestone “{self.worst_milestone_title}”", self.days_late
            return "the project", self.days_late
        today = timezone.localdate()
        candidates = [(f"milestone “{m.title}”", (today - m.due_on).days) for m in self.open_milestones]
        candidates.append(("the project", (today - self.due_on).days))
        return max(candidates, key=lambda pair: pair[1])

    @property
    def health(self):
        """The worse of budget and schedule health."""
        return min(self.budget_health, self.schedule_health, key=lambda h: h.rank)

    @property
    def progress_percent(self):
        if hasattr(self, "milestone_count"):  # annotated by with_health()
            counted, approved = self.milestone_count or 0, self.approved_count or 0
        else:
            milestones = [m for m in self.milestones.all() if m.status != m.Status.CANCELLED]
            counted, approved = len(milestones), sum(m.status == m.Status.APPROVED for m in milestones)
        return round(100 * approved / counted) if counted else 0

    @property
    def latest_acceptable_due_on(self):
        """The due date plus the leeway: no milestone may be due later."""
        return self.due_on + datetime.timedelta(days=self.schedule_buffer_days)

    def milestone_due_problem(self, due_on):
        """Why a milestone of this project may not be due on `due_on`, or None: none may be due
        after the due date plus the leeway. Milestone.clean_fields and services.check_plan ask this."""
        if due_on is None or self.due_on is None or self.schedule_buffer_days is None:
            return None
        if due_on <= self.latest_acceptable_due_on:
            return None
        latest = self.latest_acceptable_due_on
        return (
            f"This is after the project's due date plus its leeway ({latest:%d %b %Y}). "
            "Move it earlier or give the project more time."
        )

    @property
    def trust_overridden(self):
        return bool(self.trust_override_reason)


class Backup(models.Model):
    """A freelancer ready to take over the project, ranked."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="backups")
    freelancer = models.ForeignKey(
        "freelancers.Freelancer", on_delete=models.CASCADE, related_name="backup_for"
    )
    rank = models.PositiveSmallIntegerField(default=1)
    last_confirmed_on = models.DateField(
        null=True, blank=True, help_text="When they last told you they are available."
    )
    note = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "rank", "pk"]
        constraints = [
            FieldUniqueConstraint(
                fields=["project", "freelancer"],
                name="backup_once_per_project",
                field="freelancer",
                violation_error_message="This freelancer is already a backup on this project.",
            )
        ]

    def __str__(self):
        return f"{self.freelancer} (backup #{self.rank})"

    def clean(self):
        project = self.project if self.project_id or Backup.project.is_cached(self) else None
        if project is None or self.freelancer_id is None:
            return
        name = self.freelancer.name
        if self.freelancer_id == project.freelancer_id:
            raise ValidationError({"freelancer": f"{name} works on this project: a backup is someone else."})
        # Asked when the backup is new or names someone else: one flagged do-not-hire later
        # stays on the list, shown, until someone removes them.
        stored = Backup.objects.filter(pk=self.pk).values_list("freelancer_id", flat=True).first()
        if (
            stored != self.freelancer_id
            and not Freelancer.objects.hireable().filter(pk=self.freelancer_id).exists()
        ):
            raise ValidationError(
                {"freelancer": f"{name} is archived or marked do-not-hire: choose someone else."}
            )

    @property
    def is_stale(self):
        return self.last_confirmed_on is None or (
            timezone.localdate() - self.last_confirmed_on > BACKUP_STALE_AFTER
        )


class Assignment(models.Model):
    """Who worked on a project, from when to when, and why it ended."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="assignments")
    freelancer = models.ForeignKey(
        "freelancers.Freelancer", on_delete=models.PROTECT, related_name="assignments"
    )
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "started_on", "pk"]
        constraints = [
            FieldCheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="assignment_ends_after_start",
                field="ended_on",
                violation_error_message="An assignment cannot end before it started.",
            ),
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(ended_on__isnull=True),
                name="one_open_assignment_per_project",
                violation_error_message="This project already has a current freelancer.",
            ),
        ]

    def __str__(self):
        return f"{self.freelancer} on {self.project}"


class Payment(models.Model):
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    paid_on = models.DateField(default=timezone.localdate)
    milestone = models.ForeignKey(
        "milestones.Milestone", null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    note = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "paid_on", "pk"]
        constraints = [
            FieldCheckConstraint(
                condition=Q(amount__gt=0),
                name="payment_amount_positive",
                field="amount",
                violation_error_message="A payment must be more than zero.",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "paid_on"], name="payment_project_date_idx"),
            # The admin's order, newest first.
            models.Index(fields=["paid_on", "id"], name="payment_paid_on_idx"),
        ]

    def __str__(self):
        return f"{self.amount} {self.project.currency} on {self.paid_on:%Y-%m-%d}"

    def clean(self):
        if self.milestone_id and self.project_id and self.milestone.project_id != self.project_id:
            message = f"“{self.milestone.title}” is a milestone of another project."
            raise ValidationError({"milestone": message})


class ReviewQuerySet(models.QuerySet):
    def summary(self):
        """Average ratings and rehire rate of these reviews, or None when there are none."""
        totals = self.aggregate(
            count=models.Count("pk"),
            quality=models.Avg("quality"),
            communication=models.Avg("communication"),
            timeliness=models.Avg("timeliness"),
            budget=models.Avg("budget"),
            rehire_yes=models.Count("pk", filter=Q(would_rehire=Review.Rehire.YES)),
        )
        if not totals["count"]:
            return None
        totals["rehire_percent"] = round(100 * totals["rehire_yes"] / totals["count"])
        return totals

    def rated_well(self):
        """Reviews that are `rated_well` (the property below states the same rule for one review)."""
        total = F("quality") + F("communication") + F("timeliness") + F("budget")
        return self.alias(rating_total=total).filter(
            rating_total__gte=RATED_WELL_AVERAGE * 4,
            would_rehire__in=[Review.Rehire.YES, Review.Rehire.MAYBE],
        )


class Review(models.Model):
    """The debrief after a project, one per project and freelancer."""

    class Rehire(models.TextChoices):
        YES = "yes", "Yes"
        MAYBE = "maybe", "Maybe"
        NO = "no", "No"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reviews")
    freelancer = models.ForeignKey("freelancers.Freelancer", on_delete=models.PROTECT, related_name="reviews")
    quality = models.PositiveSmallIntegerField(choices=RATING_CHOICES)
    communication = models.PositiveSmallIntegerField(choices=RATING_CHOICES)
    timeliness = models.PositiveSmallIntegerField(choices=RATING_CHOICES)
    budget = models.PositiveSmallIntegerField("keeping to budget", choices=RATING_CHOICES)
    went_well = models.TextField(blank=True)
    do_differently = models.TextField(blank=True)
    debriefed_on = models.DateField(
        null=True, blank=True, help_text="When you talked the project through with the freelancer."
    )
    would_rehire = models.CharField(max_length=10, choices=Rehire)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            FieldUniqueConstraint(
                fields=["project", "freelancer"],
                name="one_review_per_project_and_freelancer",
                field="freelancer",
                violation_error_message="This freelancer has already been reviewed for this project.",
            ),
            rating_constraint("quality", "review"),
            rating_constraint("communication", "review"),
            rating_constraint("timeliness", "review"),
            rating_constraint("budget", "review"),
        ]

    def __str__(self):
        return f"Review of {self.freelancer} on {self.project}"

    @property
    def average(self):
        return Decimal(self.quality + self.communication + self.timeliness + self.budget) / 4

    @property
    def rated_well(self):
        return self.average >= RATED_WELL_AVERAGE and self.would_rehire != self.Rehire.NO
