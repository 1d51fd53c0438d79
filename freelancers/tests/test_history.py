"""Changes to a freelancer's record are kept: what changed, from what, to what, and by whom."""

from decimal import Decimal

import pytest
from django.utils import timezone

from freelancers import services
from freelancers.models import Freelancer, Reference
from freelancers.tests.factories import FreelancerFactory, ReferenceFactory

pytestmark = pytest.mark.django_db


def last_change(instance):
    """{field: (old, new)} between the two latest historical records of `instance`."""
    newer, older = instance.history.all()[:2]
    return {change.field: (change.old, change.new) for change in newer.diff_against(older).changes}


def test_changing_the_hourly_rate_records_the_old_and_new_rate(owner):
    freelancer = FreelancerFactory(hourly_rate=Decimal("40.00"))

    freelancer.hourly_rate = Decimal("47.50")
    freelancer._history_user = owner
    freelancer.save()

    assert last_change(freelancer) == {"hourly_rate": (Decimal("40.00"), Decimal("47.50"))}
    assert freelancer.history.first().history_type == "~"
    assert freelancer.history.first().history_user == owner
    freelancer.refresh_from_db()
    assert freelancer.hourly_rate == Decimal("47.50")


def test_changing_the_status_records_the_old_and_new_status(owner):
    freelancer = FreelancerFactory(status=Freelancer.Status.PROSPECT)

    services.change_status(freelancer=freelancer, status=Freelancer.Status.VETTING, by=owner)

    assert last_change(freelancer) == {"status": (Freelancer.Status.PROSPECT, Freelancer.Status.VETTING)}
    assert freelancer.history.first().history_user == owner


def test_every_step_of_the_pipeline_is_kept_in_order():
    freelancer = FreelancerFactory(status=Freelancer.Status.PROSPECT)

    for status in [Freelancer.Status.VETTING, Freelancer.Status.TRIAL, Freelancer.Status.VETTING]:
        services.change_status(freelancer=freelancer, status=status)

    oldest_first = freelancer.history.order_by("history_date", "history_id").values_list("status", flat=True)
    assert list(oldest_first) == ["prospect", "vetting", "trial", "vetting"]


def test_saving_without_a_change_records_no_difference():
    freelancer = FreelancerFactory()

    freelancer.save()

    assert last_change(freelancer) == {}


def test_changing_a_references_outcome_records_the_old_and_new_outcome(assistant):
    reference = ReferenceFactory()
    today = timezone.localdate()

    reference.outcome = Reference.Outcome.POSITIVE
    reference.contacted_on = today
    reference._history_user = assistant
    reference.save()

    assert last_change(reference) == {
        "outcome": (Reference.Outcome.NOT_CONTACTED, Reference.Outcome.POSITIVE),
        "contacted_on": (None, today),
    }
    assert reference.history.first().history_user == assistant
    reference.refresh_from_db()
    assert reference.outcome == Reference.Outcome.POSITIVE


def test_the_history_of_a_freelancer_outlives_archiving():
    freelancer = FreelancerFactory(hourly_rate=Decimal("30.00"))
    freelancer.hourly_rate = Decimal("35.00")
    freelancer.save()

    services.archive_freelancer(freelancer=freelancer)

    rates = freelancer.history.order_by("history_date", "history_id").values_list("hourly_rate", flat=True)
    assert list(rates) == [Decimal("30.00"), Decimal("35.00"), Decimal("35.00")]
    # diff_against() cannot see archived_at (not editable in forms), so compare the records themselves.
    newer, older = freelancer.history.all()[:2]
    assert (older.archived_at, newer.archived_at) == (None, freelancer.archived_at)
    assert newer.archived_at is not None
