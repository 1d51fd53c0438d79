"""Fill the database with a business's worth of years of data, to measure pages at scale.

    python manage.py seed_scale --projects 10000

The shape follows a busy small business: about 6 % of projects in progress, the rest
finished, cancelled or still drafts; 10 milestones, 100 check-ins and 10 payments per
project; one freelancer for every five projects, each with references, an interview, a
work sample and an access grant; a reminder log. One project in progress gets
--big-project-checkins check-ins, for the project page's worst case.

Rows are written with bulk_create, not through the services: the services check one
project at a time and record history, which would take hours for a million check-ins,
and this data exists only to be measured. Values are drawn from a seeded random
generator, so two runs with the same arguments give the same shape. Refuses to run
twice on the same database (the titles it writes start with "Scale ").
"""

import datetime
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from common.roles import OWNER
from freelancers.models import AccessGrant, Freelancer, Interview, Reference, Skill, WorkSample
from milestones.models import CalendarFeed, CheckIn, Milestone, Reminder
from projects.models import Assignment, Payment, Project, Review

BATCH = 5000
CHUNK_PROJECTS = 200  # projects whose rows are built and written together
SKILLS = [
    "Bookkeeping", "Copywriting", "Customer support", "Data entry", "Django", "Email marketing",
    "Graphic design", "Illustration", "Lead research", "Logo design", "Newsletter", "Photo editing",
    "Podcast editing", "Proofreading", "React", "Research", "SEO", "Shopify", "Social media",
    "Spreadsheets", "Technical writing", "Transcription", "Translation", "UX design", "Video editing",
    "Virtual assistance", "Web scraping", "WooCommerce", "WordPress", "Zapier",
]  # fmt: skip
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "Africa/Lagos", "Asia/Kolkata", "UTC"]
WORDS = ["draft", "review", "layout", "copy", "images", "checkout", "pages", "fixes", "launch", "notes"]


class Command(BaseCommand):
    help = "Fill the database with many projects, milestones, check-ins and payments for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--projects", type=int, default=10000)
        parser.add_argument("--freelancers", type=int, help="Default: one for every five projects.")
        parser.add_argument("--big-project-checkins", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **options):
        if Project.objects.filter(title__startswith="Scale ").exists():
            raise CommandError("This database holds scale data already; use a fresh database.")
        # Reproducible sample data, not secrets.
        self.random = random.Random(options["seed"])  # noqa: S311
        self.today = timezone.localdate()
        self.owner = self._owner()
        freelancers = self._freelancers(options["freelancers"] or max(options["projects"] // 5, 10))
        total = options["projects"]
        for first in range(0, total, CHUNK_PROJECTS):
            self._projects(range(first, min(first + CHUNK_PROJECTS, total)), freelancers)
            self.stdout.write(f"\r{min(first + CHUNK_PROJECTS, total)} of {total} projects", ending="")
        self.stdout.write("")
        big = self._big_project(freelancers, options["big_project_checkins"])
        self._reminders()
        CalendarFeed.rotate(self.owner)
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {Project.objects.count()} projects, {Milestone.objects.count()} milestones, "
                f"{CheckIn.objects.count()} check-ins, {Payment.objects.count()} payments, "
                f"{Freelancer.objects.count()} freelancers, {Reminder.objects.count()} reminders. "
                f"Project with {options['big_project_checkins']} check-ins: {big.pk}."
            )
        )

    def _owner(self):
        owner, _ = get_user_model().objects.get_or_create(
            username="scale.owner",
            defaults={"email": "scale.owner@example.com", "is_staff": True, "first_name": "Scale"},
        )
        owner.groups.add(Group.objects.get(name=OWNER))
        return owner

    def _days(self, n):
        return self.today + datetime.timedelta(days=n)

    @transaction.atomic
    def _freelancers(self, count):
        skills = [Skill.objects.get_or_create(name=name)[0] for name in SKILLS]
        statuses = [Freelancer.Status.APPROVED] * 6 + [
            Freelancer.Status.PROSPECT,
            Freelancer.Status.VETTING,
            Freelancer.Status.VETTING,
            Freelancer.Status.TRIAL,
        ]
        rows = [
            Freelancer(
                name=f"Scale Freelancer {n}",
                email=f"scale.freelancer.{n}@example.com",
                timezone=self.random.choice(ZONES),
                hourly_rate=Decimal(self.random.randrange(15, 120)),
                currency="USD",
                status=self.random.choice(statuses),
                do_not_hire=n % 97 == 0,
                do_not_hire_reason="Missed every deadline." if n % 97 == 0 else "",
                notes="Found through a referral.",
            )
            for n in range(count)
        ]
        freelancers = Freelancer.objects.bulk_create(rows, batch_size=BATCH)
        links = Freelancer.skills.through
        links.objects.bulk_create(
            [
                links(freelancer_id=f.pk, skill_id=skill.pk)
                for f in freelancers
                for skill in self.random.sample(skills, 2)
            ],
            batch_size=BATCH,
        )
        references, interviews, samples, grants = [], [], [], []
        for f in freelancers:
            for k in range(2):
                references.append(
                    Reference(
                        freelancer=f,
                        name=f"Referee {k} of {f.pk}",
                        contact=f"referee{k}.{f.pk}@example.com",
                        contacted_on=self._days(-self.random.randrange(30, 700)),
                        outcome=self.random.choice(list(Reference.Outcome.values)),
                        notes="Spoke on the phone.",
                    )
                )
            interviews.append(
                Interview(
                    freelancer=f,
                    held_on=self._days(-self.random.randrange(30, 700)),
                    questions_asked="How do you handle a missed deadline?",
                    notes="Clear and prepared.",
                    recommendation=self.random.choice(list(Interview.Recommendation.values)),
                )
            )
            samples.append(
                WorkSample(
                    freelancer=f,
                    title=f"Portfolio piece {f.pk}",
                    url=f"https://example.com/work/{f.pk}",
                    rating=self.random.choice([None, 3, 4, 5]),
                )
            )
            granted = self._days(-self.random.randrange(10, 400))
            revoke_by = granted + datetime.timedelta(days=self.random.randrange(7, 120))
            grants.append(
                AccessGrant(
                    freelancer=f,
                    system=f"WordPress admin of shop{f.pk}.example.com",
                    access_level=AccessGrant.Level.EDIT,
                    why_needed="Update the product pages.",
                    granted_on=granted,
                    revoke_by=revoke_by,
                    revoked_on=None if self.random.random() < 0.1 else min(revoke_by, self.today),
                )
            )
        for model, rows in [
            (Reference, references),
            (Interview, interviews),
            (WorkSample, samples),
            (AccessGrant, grants),
        ]:
            model.objects.bulk_create(rows, batch_size=BATCH)
        return [f for f in freelancers if not f.do_not_hire]

    def _status(self, n):
        """About 6 % in progress (5 % active, 1 % on hold), the rest mostly finished."""
        bucket = n % 100
        if bucket < 5:
            return Project.Status.ACTIVE
        if bucket < 6:
            return Project.Status.ON_HOLD
        if bucket < 10:
            return Project.Status.DRAFT
        if bucket < 14:
            return Project.Status.CANCELLED
        return Project.Status.COMPLETED

    def _project(self, n, freelancers):
        status = self._status(n)
        length = self.random.randrange(30, 200)
        if status in {Project.Status.ACTIVE, Project.Status.ON_HOLD}:
            start = self._days(-self.random.randrange(5, length))
        elif status == Project.Status.DRAFT:
            start = self._days(self.random.randrange(1, 60))
        else:
            start = self._days(-self.random.randrange(length + 10, 5 * 365))
        budget = Decimal(self.random.randrange(5, 200) * 100)
        finished = status in {Project.Status.COMPLETED, Project.Status.CANCELLED}
        return Project(
            title=f"Scale project {n}: {self.random.choice(WORDS)} {self.random.choice(WORDS)}",
            brief="Deliver the agreed pages and hand over the files.",
            owner=self.owner,
            freelancer=None if status == Project.Status.DRAFT else self.random.choice(freelancers),
            is_trial=n % 20 == 0,
            status=status,
            start_on=start,
            due_on=start + datetime.timedelta(days=length),
            schedule_buffer_days=self.random.choice([0, 3, 5, 10]),
            budget=budget,
            currency="USD",
            budget_buffer_percent=Decimal(self.random.choice([0, 10, 15, 20])),
            checkin_every_days=max(length // 100, 1),
            completed_on=start + datetime.timedelta(days=length) if finished else None,
        )

    @transaction.atomic
    def _projects(self, numbers, freelancers, checkins_per_project=100):
        projects = Project.objects.bulk_create([self._project(n, freelancers) for n in numbers])
        self._rows_of(projects, checkins_per_project)

    def _rows_of(self, projects, checkins_per_project):
        milestones, checkins, payments, assignments, reviews = [], [], [], [], []
        for project in projects:
            length = (project.due_on - project.start_on).days
            # Spending runs from well under to a little over budget plus contingency.
            elapsed = min(max((self.today - project.start_on).days / length, 0), 1)
            spend = project.budget * Decimal(elapsed * self.random.uniform(0.6, 1.25)).quantize(
                Decimal("0.01")
            )
            for k in range(10):
                due = project.start_on + datetime.timedelta(days=length * (k + 1) // 10)
                if project.status == Project.Status.COMPLETED or due < self._days(-10):
                    status = Milestone.Status.APPROVED
                elif due < self.today:
                    status = Milestone.Status.SUBMITTED
                else:
                    status = Milestone.Status.PLANNED
                milestones.append(
                    Milestone(
                        project=project,
                        title=f"Part {k + 1}: {self.random.choice(WORDS)}",
                        due_on=due,
                        amount=project.budget / 10,
                        status=status,
                        order=k + 1,
                    )
                )
            step = max(length * 24 // checkins_per_project, 1)  # hours between check-ins
            for k in range(checkins_per_project):
                moment = timezone.make_aware(
                    datetime.datetime.combine(project.start_on, datetime.time(10))
                ) + datetime.timedelta(hours=step * (k + 1))
                past = moment.date() < self.today
                held = past and project.status != Project.Status.DRAFT and self.random.random() < 0.9
                updated = project.status == Project.Status.ACTIVE and k % 40 == 7
                checkins.append(
                    CheckIn(
                        project=project,
                        scheduled_for=moment,
                        held_on=moment.date() if held else None,
                        progress_note="Pages drafted, images next." if held else "",
                        on_track=self.random.choice(["green", "green", "amber", "red"]) if held else "",
                        freelancer_progress="Sent the first draft." if updated else "",
                        freelancer_on_track="green" if updated else "",
                        freelancer_updated_at=moment if updated else None,
                    )
                )
            if spend > 0 and project.status != Project.Status.DRAFT:
                for k in range(10):
                    paid = project.start_on + datetime.timedelta(days=length * k // 10)
                    payments.append(
                        Payment(
                            project=project,
                            amount=max((spend / 10).quantize(Decimal("0.01")), Decimal("0.01")),
                            paid_on=min(paid, self.today),
                            note=f"Invoice {project.pk}-{k + 1}",
                        )
                    )
            if project.freelancer_id:
                assignments.append(
                    Assignment(
                        project=project,
                        freelancer_id=project.freelancer_id,
                        started_on=project.start_on,
                        ended_on=project.completed_on,
                        end_reason="Project completed" if project.completed_on else "",
                    )
                )
            if (
                project.status == Project.Status.COMPLETED
                and project.freelancer_id
                and self.random.random() < 0.9
            ):
                reviews.append(
                    Review(
                        project=project,
                        freelancer_id=project.freelancer_id,
                        quality=self.random.randrange(2, 6),
                        communication=self.random.randrange(2, 6),
                        timeliness=self.random.randrange(2, 6),
                        budget=self.random.randrange(2, 6),
                        would_rehire=self.random.choice(list(Review.Rehire.values)),
                        went_well="Clear updates.",
                    )
                )
        Milestone.objects.bulk_create(milestones, batch_size=BATCH)
        CheckIn.objects.bulk_create(checkins, batch_size=BATCH)
        Payment.objects.bulk_create(payments, batch_size=BATCH)
        Assignment.objects.bulk_create(assignments, batch_size=BATCH)
        Review.objects.bulk_create(reviews, batch_size=BATCH)

    @transaction.atomic
    def _big_project(self, freelancers, checkins):
        project = self._project(0, freelancers)
        project.title = "Scale project with many check-ins"
        project.status = Project.Status.ACTIVE
        project.freelancer = freelancers[0]
        project.start_on = self._days(-300)
        project.due_on = self._days(300)
        project.completed_on = None
        project.save()
        self._rows_of([project], checkins)
        return project

    @transaction.atomic
    def _reminders(self):
        """The log as weeks of scans leave it: one sent reminder per check-in of the last
        month in projects in progress, to the owner."""
        checkin_type = ContentType.objects.get_for_model(CheckIn)
        recent = CheckIn.objects.filter(
            project__status__in=[Project.Status.ACTIVE, Project.Status.ON_HOLD],
            scheduled_for__gte=timezone.now() - datetime.timedelta(days=30),
            scheduled_for__lt=timezone.now(),
        ).values_list("pk", "project_id", "scheduled_for")
        Reminder.objects.bulk_create(
            (
                Reminder(
                    kind=Reminder.Kind.CHECKIN_UPCOMING,
                    target_type=checkin_type,
                    target_id=pk,
                    recipient=self.owner.email,
                    user=self.owner,
                    project_id=project_id,
                    due_slot=scheduled_for.isoformat(),
                    state=Reminder.State.SENT,
                    attempts=1,
                    sent_at=scheduled_for - datetime.timedelta(hours=24),
                )
                for pk, project_id, scheduled_for in recent
            ),
            batch_size=BATCH,
        )
