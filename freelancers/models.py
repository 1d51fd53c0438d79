"""Freelancers and their vetting record: who they are, what was checked, what they hold."""

import unicodedata
import zoneinfo
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, Count, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from common.constraints import FieldCheckConstraint, FieldUniqueConstraint
from common.money import CurrencyField
from common.uploads import random_stored_name


@cache
def _timezone_names():
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value):
    if value and value not in _timezone_names():
        raise ValidationError(f"“{value}” is not a time zone we know. Use a name like Europe/Berlin.")


def count_of(queryset):
    """A subquery counting rows of `queryset` (which filters on OuterRef), 0 when none."""
    counted = queryset.order_by().values("freelancer").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def normalize_skill_name(text):
    """The form a skill name is stored in: Unicode compatibility characters (a Kelvin sign
    for K, full-width letters, ligatures) become the plain letters they stand for."""
    return unicodedata.normalize("NFKC", text).strip()


class SkillQuerySet(models.QuerySet):
    def named(self, name):
        """Skills the unique index counts as `name`: compared with the database's LOWER(), the
        function the index uses, so a name found free here can also be stored."""
        return self.alias(lowered=Lower("name")).filter(lowered=Lower(Value(normalize_skill_name(name))))


class Skill(models.Model):
    name = models.CharField(max_length=60)

    objects = SkillQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            FieldUniqueConstraint(
                Lower("name"),
                name="skill_name_unique_ci",
                field="name",
                violation_error_message="This skill exists already.",
            )
        ]

    def __str__(self):
        return self.name


class FreelancerQuerySet(models.QuerySet):
    def active(self):
        return self.filter(archived_at__isnull=True)

    def hireable(self):
        """Who may be put on a project or kept as its backup: not archived, not marked do-not-hire."""
        return self.active().filter(do_not_hire=False)

    def with_vetting(self):
        """Annotate what vetting, trust and the access badge need, in one query.

        Every page that shows a freelancer fetches it through here, so the list,
        the profile and the dashboard read the same numbers.
        """
        # Reviews and their projects belong to the layer above: reached through the
        # relation, since freelancers never import projects.
        review_model = self.model._meta.get_field("reviews").related_model
        completed = review_model._meta.get_field("project").related_model.Status.COMPLETED
        today = timezone.localdate()
        mine = {"freelancer": OuterRef("pk")}
        # Trust comes from finished projects reviewed well; a trial is a finished `is_trial` project.
        well_rated = review_model.objects.filter(project__status=completed).rated_well()
        return self.annotate(
            positive_reference_count=count_of(
                Reference.objects.filter(**mine, outcome=Reference.Outcome.POSITIVE)
            ),
            reviewed_sample_count=count_of(WorkSample.objects.filter(**mine, rating__isnull=False)),
            interview_count=count_of(Interview.objects.filter(**mine)),
            overdue_access_count=count_of(AccessGrant.objects.filter(**mine).overdue(today)),
            trial_review_count=count_of(well_rated.filter(**mine, project__is_trial=True)),
            well_rated_review_count=count_of(well_rated.filter(**mine)),
        ).annotate(
            trust_level=Case(
                When(well_rated_review_count__gte=2, then=Value(Freelancer.TrustLevel.TRUSTED)),
                When(trial_review_count__gte=1, then=Value(Freelancer.TrustLevel.TRIAL_PASSED)),
                default=Value(Freelancer.TrustLevel.UNTESTED),
                output_field=models.CharField(),
            ),
        )

    def vetting_incomplete(self):
        """Those of with_vetting() whose vetting still misses something: the rows whose
        Vetting.missing is not empty, chosen in the database (a test keeps the two in step)."""
        return self.filter(
            Q(positive_reference_count=0)
            | Q(reviewed_sample_count=0)
            | Q(interview_count=0)
            | Q(trial_review_count=0)
        )

    def search(self, text):
        text = text.strip()
        if not text:
            return self
        return self.filter(
            Q(name__icontains=text) | Q(email__icontains=text) | Q(skills__name__icontains=text)
        ).distinct()


class Freelancer(models.Model):
    class Status(models.TextChoices):
        PROSPECT = "prospect", "Prospect"
        VETTING = "vetting", "Vetting"
        TRIAL = "trial", "Trial"
        APPROVED = "approved", "Approved"

    class TrustLevel(models.TextChoices):
        UNTESTED = "untested", "Untested"
        TRIAL_PASSED = "trial_passed", "Trial passed"
        TRUSTED = "trusted", "Trusted"

    name = models.CharField(max_length=120)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    video_handle = models.CharField(
        max_length=120, blank=True, help_text="Zoom, Google Meet, Teams or Skype name for calls."
    )
    timezone = models.CharField(
        max_length=64, blank=True, validators=[validate_timezone], help_text="For example Europe/Berlin."
    )
    location = models.CharField(max_length=120, blank=True)
    skills = models.ManyToManyField(Skill, blank=True, related_name="freelancers")
    hourly_rate = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    currency = CurrencyField()
    source = models.CharField(
        max_length=120, blank=True, help_text="Where you found them: a marketplace, a referral, a job post."
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.PROSPECT)
    do_not_hire = models.BooleanField("do not hire", default=False)
    do_not_hire_reason = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    gut_feeling = models.TextField(blank=True, help_text="Your impression, in your own words.")
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = FreelancerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            FieldUniqueConstraint(
                Lower("email"),
                name="freelancer_email_unique_ci",
                field="email",
                violation_error_message="Another freelancer already has this email address.",
            ),
            FieldCheckConstraint(
                condition=Q(hourly_rate__isnull=True) | Q(hourly_rate__gte=0),
                name="freelancer_rate_not_negative",
                field="hourly_rate",
                violation_error_message="The hourly rate cannot be negative.",
            ),
            FieldCheckConstraint(
                condition=Q(do_not_hire=False) | ~Q(do_not_hire_reason=""),
                name="freelancer_do_not_hire_has_reason",
                field="do_not_hire_reason",
                violation_error_message="Say why this freelancer must not be hired.",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "name"], name="freelancer_status_idx"),
            models.Index(fields=["do_not_hire"], name="freelancer_dnh_idx"),
            models.Index(fields=["archived_at"], name="freelancer_archived_idx"),
            # The admin's and the list's order.
            models.Index(fields=["name", "id"], name="freelancer_name_idx"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("freelancers:detail", args=[self.pk])

    def clean(self):
        # The approval rule runs in every form, admin edit and import through here.
        stored_status = Freelancer.objects.filter(pk=self.pk).values_list("status", flat=True).first()
        if self.status == self.Status.APPROVED and stored_status != self.Status.APPROVED:
            problems = self.approval_problems()
            if problems:
                raise ValidationError({"status": "Cannot approve yet: " + " ".join(problems)})

    @property
    def trial_done(self):
        """A finished trial project with a review rated well is behind them."""
        return getattr(self._counted(), "trial_review_count", 0) > 0

    def _counted(self):
        """This freelancer with the counts of with_vetting(), querying only if they are missing."""
        if hasattr(self, "positive_reference_count") or self.pk is None:
            return self
        return Freelancer.objects.with_vetting().get(pk=self.pk)

    @property
    def vetting(self):
        """What has been checked and what is missing."""
        counted = self._counted()
        return Vetting(
            references_checked=getattr(counted, "positive_reference_count", 0) > 0,
            samples_reviewed=getattr(counted, "reviewed_sample_count", 0) > 0,
            interview_held=getattr(counted, "interview_count", 0) > 0,
            trial_done=self.trial_done,
        )

    @property
    def trust(self):
        """Untested, trial passed or trusted, as a TrustLevel (its .label is for people)."""
        return self.TrustLevel(getattr(self._counted(), "trust_level", self.TrustLevel.UNTESTED))

    @property
    def has_overdue_access(self):
        return getattr(self._counted(), "overdue_access_count", 0) > 0

    def approval_problems(self):
        """Why this freelancer cannot be approved now, in words; empty when they can."""
        problems = []
        if self.do_not_hire:
            problems.append("They are marked do-not-hire.")
        vetting = self.vetting
        if not vetting.references_checked:
            problems.append("No reference has given a positive outcome yet.")
        if not vetting.interview_held:
            problems.append("No interview is recorded.")
        if not vetting.trial_done:
            problems.append("No trial job is finished.")
        return problems


@dataclass(frozen=True)
class Vetting:
    """Vetting completeness, the same on the list, the profile and the dashboard."""

    references_checked: bool
    samples_reviewed: bool
    interview_held: bool
    trial_done: bool

    LABELS = {
        "references_checked": ("A reference vouched for them", "No reference has vouched for them yet"),
        "samples_reviewed": ("A work sample is rated", "No work sample is rated yet"),
        "interview_held": ("An interview is recorded", "No interview yet"),
        "trial_done": ("A trial job is finished", "No trial job finished"),
    }

    @property
    def items(self):
        """[(done, words)] in pipeline order."""
        return [
            (getattr(self, key), done if getattr(self, key) else missing)
            for key, (done, missing) in self.LABELS.items()
        ]

    @property
    def done_count(self):
        return sum(done for done, _ in self.items)

    @property
    def percent(self):
        return round(100 * self.done_count / len(self.LABELS))

    @property
    def missing(self):
        return [words for done, words in self.items if not done]


class Reference(models.Model):
    class Outcome(models.TextChoices):
        NOT_CONTACTED = "not_contacted", "Not contacted"
        POSITIVE = "positive", "Positive"
        MIXED = "mixed", "Mixed"
        NEGATIVE = "negative", "Negative"
        UNREACHABLE = "unreachable", "Unreachable"

    freelancer = models.ForeignKey(Freelancer, on_delete=models.CASCADE, related_name="references")
    name = models.CharField("who", max_length=120)
    relationship = models.CharField(
        max_length=120, blank=True, help_text="For example: former client, agency."
    )
    contact = models.CharField(max_length=200, help_text="Email address or phone number.")
    contacted_on = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome, default=Outcome.NOT_CONTACTED)
    notes = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["freelancer", "name"]
        constraints = [
            FieldCheckConstraint(
                condition=Q(outcome="not_contacted") | Q(contacted_on__isnull=False),
                name="reference_outcome_needs_contact_date",
                field="contacted_on",
                violation_error_message="Give the date you contacted them, or choose “not contacted”.",
            ),
        ]
        indexes = [models.Index(fields=["freelancer", "outcome"], name="reference_outcome_idx")]

    def __str__(self):
        return f"{self.name} ({self.get_outcome_display()})"


class Testimonial(models.Model):
    freelancer = models.ForeignKey(Freelancer, on_delete=models.CASCADE, related_name="testimonials")
    author = models.CharField(max_length=120)
    source_url = models.URLField("source", blank=True)
    text = models.TextField()
    verified = models.BooleanField(default=False)
    verified_how = models.CharField(
        max_length=200, blank=True, help_text="For example: called the author, saw the contract."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["freelancer", "author"]
        constraints = [
            FieldCheckConstraint(
                condition=Q(verified=False) | ~Q(verified_how=""),
                name="testimonial_verified_says_how",
                field="verified_how",
                violation_error_message="Say how you verified it.",
            ),
        ]

    def __str__(self):
        return f"Testimonial by {self.author}"


def sample_upload_path(instance, filename):
    # A random name: the uploader's file name is kept only as data, never as a path.
    return random_stored_name("samples", filename)


class WorkSample(models.Model):
    freelancer = models.ForeignKey(Freelancer, on_delete=models.CASCADE, related_name="samples")
    title = models.CharField(max_length=160)
    url = models.URLField("link", blank=True)
    file = models.FileField(upload_to=sample_upload_path, blank=True, max_length=200)
    original_filename = models.CharField(max_length=200, blank=True, editable=False)
    content_type = models.CharField(max_length=100, blank=True, editable=False)
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Your rating, 1 (poor) to 5 (excellent); empty until reviewed."
    )
    notes = models.TextField(blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["freelancer", "-added_at"]
        constraints = [
            FieldCheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="sample_rating_1_to_5",
                field="rating",
                violation_error_message="A rating goes from 1 to 5.",
            ),
            FieldCheckConstraint(
                condition=~Q(url="") | ~Q(file=""),
                name="sample_has_link_or_file",
                field="url",
                violation_error_message="Give a link to the sample or upload a file.",
            ),
        ]

    def __str__(self):
        return self.title

    def get_download_url(self):
        return reverse("freelancers:sample_file", args=[self.pk]) if self.file else ""


class Interview(models.Model):
    class Channel(models.TextChoices):
        PHONE = "phone", "Phone"
        VIDEO = "video", "Video call"
        IN_PERSON = "in_person", "In person"

    class Recommendation(models.TextChoices):
        PROCEED = "proceed", "Proceed"
        UNSURE = "unsure", "Unsure"
        DO_NOT_PROCEED = "do_not_proceed", "Do not proceed"

    freelancer = models.ForeignKey(Freelancer, on_delete=models.CASCADE, related_name="interviews")
    held_on = models.DateField()
    channel = models.CharField(max_length=20, choices=Channel, default=Channel.VIDEO)
    questions_asked = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    red_flags = models.TextField(blank=True)
    recommendation = models.CharField(max_length=20, choices=Recommendation, default=Recommendation.UNSURE)

    history = HistoricalRecords()

    class Meta:
        ordering = ["freelancer", "-held_on"]

    def __str__(self):
        return f"{self.get_channel_display()} interview on {self.held_on:%Y-%m-%d}"


class AccessGrantQuerySet(models.QuerySet):
    def open(self):
        return self.filter(revoked_on__isnull=True)

    def overdue(self, today=None):
        """Open grants whose revoke-by date has passed."""
        return self.open().filter(revoke_by__lt=today or timezone.localdate())


class AccessGrant(models.Model):
    """What a freelancer was given access to. Secrets themselves are never stored."""

    class Level(models.TextChoices):
        READ = "read", "Read"
        EDIT = "edit", "Edit"
        ADMIN = "admin", "Admin"

    freelancer = models.ForeignKey(Freelancer, on_delete=models.CASCADE, related_name="access_grants")
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="access_grants",
        help_text="The project it is for, if any: it must be revoked when the project ends.",
    )
    system = models.CharField(
        max_length=160, help_text="What they can get into, e.g. “WordPress admin of shop.example.com”."
    )
    access_level = models.CharField(max_length=10, choices=Level, default=Level.READ)
    why_needed = models.TextField(help_text="The task that needs this access.")
    granted_on = models.DateField(default=timezone.localdate)
    revoke_by = models.DateField(help_text="When the access must be taken back at the latest.")
    revoked_on = models.DateField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords()
    objects = AccessGrantQuerySet.as_manager()

    class Meta:
        ordering = ["revoked_on", "revoke_by"]
        constraints = [
            FieldCheckConstraint(
                condition=Q(revoked_on__isnull=True) | Q(revoked_on__gte=F("granted_on")),
                name="grant_revoked_after_granted",
                field="revoked_on",
                violation_error_message="Access cannot be revoked before it was granted.",
            ),
            FieldCheckConstraint(
                condition=Q(revoke_by__gte=F("granted_on")),
                name="grant_revoke_by_after_granted",
                field="revoke_by",
                violation_error_message="The revoke-by date cannot be before the grant date.",
            ),
        ]
        indexes = [models.Index(fields=["revoked_on", "revoke_by"], name="grant_open_due_idx")]

    def __str__(self):
        return f"{self.get_access_level_display()} access to {self.system}"

    @property
    def is_overdue(self):
        return self.revoked_on is None and self.revoke_by < timezone.localdate()
