import datetime

import factory
from django.utils import timezone

from freelancers.models import AccessGrant, Freelancer, Interview, Reference, Skill, Testimonial, WorkSample


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Skill {n}")


class FreelancerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Freelancer

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"freelancer{n}@example.com")
    timezone = "Europe/Lisbon"
    hourly_rate = factory.Faker("pydecimal", left_digits=2, right_digits=2, positive=True)
    currency = "USD"
    source = "Referral"


class ReferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reference

    freelancer = factory.SubFactory(FreelancerFactory)
    name = factory.Faker("name")
    relationship = "Former client"
    contact = factory.Faker("email")

    class Params:
        positive = factory.Trait(
            outcome=Reference.Outcome.POSITIVE, contacted_on=factory.LazyFunction(timezone.localdate)
        )


class TestimonialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Testimonial

    freelancer = factory.SubFactory(FreelancerFactory)
    author = factory.Faker("name")
    text = "Delivered on time and asked the right questions."


class WorkSampleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkSample

    freelancer = factory.SubFactory(FreelancerFactory)
    title = "Landing page redesign"
    url = "https://portfolio.example.com/landing"


class InterviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interview

    freelancer = factory.SubFactory(FreelancerFactory)
    held_on = factory.LazyFunction(timezone.localdate)
    channel = Interview.Channel.VIDEO
    notes = "Clear about scope; asked about the brand guide."


class AccessGrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessGrant

    freelancer = factory.SubFactory(FreelancerFactory)
    system = "WordPress admin of shop.example.com"
    access_level = AccessGrant.Level.EDIT
    why_needed = "Update the product pages."
    granted_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    revoke_by = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))

    class Params:
        overdue = factory.Trait(
            revoke_by=factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=3))
        )


def vetted_freelancer(**kwargs):
    """A freelancer who meets every condition for approval."""
    from projects.tests.factories import passed_trial

    freelancer = FreelancerFactory(status=Freelancer.Status.TRIAL, **kwargs)
    passed_trial(freelancer)
    ReferenceFactory(freelancer=freelancer, positive=True)
    InterviewFactory(freelancer=freelancer)
    WorkSampleFactory(freelancer=freelancer, rating=4)
    return freelancer
