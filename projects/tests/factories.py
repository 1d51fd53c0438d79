import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from common.roles import OWNER
from freelancers.tests.factories import FreelancerFactory
from milestones.models import CheckIn, Milestone
from projects.models import Assignment, Backup, Payment, Project, Review


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"owner{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")

    @factory.post_generation
    def groups(user, create, extracted, **kwargs):
        # Whoever owns a project is in the Owner role, unless a test names other groups.
        if create:
            user.groups.set(Group.objects.filter(name=OWNER) if extracted is None else extracted)


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    title = factory.Sequence(lambda n: f"Website refresh {n}")
    owner = factory.SubFactory(UserFactory)
    freelancer = factory.SubFactory(FreelancerFactory)
    status = Project.Status.ACTIVE
    start_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=10))
    due_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=20))
    schedule_buffer_days = 3
    budget = Decimal("1000.00")
    currency = "USD"
    budget_buffer_percent = Decimal("10")
    checkin_every_days = 7


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Milestone {n}")
    due_on = factory.LazyAttribute(lambda m: m.project.due_on)
    amount = Decimal("250.00")


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    project = factory.SubFactory(ProjectFactory)
    amount = Decimal("100.00")
    paid_on = factory.LazyFunction(timezone.localdate)


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    project = factory.SubFactory(ProjectFactory, status=Project.Status.COMPLETED)
    freelancer = factory.LazyAttribute(lambda review: review.project.freelancer)
    quality = 5
    communication = 4
    timeliness = 4
    budget = 4
    would_rehire = Review.Rehire.YES


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    project = factory.SubFactory(ProjectFactory)
    freelancer = factory.LazyAttribute(lambda a: a.project.freelancer)
    started_on = factory.LazyAttribute(lambda a: a.project.start_on)


class BackupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Backup

    project = factory.SubFactory(ProjectFactory)
    freelancer = factory.SubFactory(FreelancerFactory)
    rank = factory.Sequence(lambda n: n + 1)
    last_confirmed_on = factory.LazyFunction(timezone.localdate)


class CheckInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckIn

    project = factory.SubFactory(ProjectFactory)
    scheduled_for = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=1))


def passed_trial(freelancer, **review):
    """Give `freelancer` a completed trial project with a review rated well."""
    project = ProjectFactory(
        freelancer=freelancer, is_trial=True, status=Project.Status.COMPLETED, budget=Decimal("300.00")
    )
    return ReviewFactory(project=project, freelancer=freelancer, **review)
