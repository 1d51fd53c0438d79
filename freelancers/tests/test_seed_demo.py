from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from freelancers.models import AccessGrant, Freelancer

pytestmark = pytest.mark.django_db


def seed():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def row_counts():
    # Every model of the app, the history tables included: a re-run must not even add history.
    return {
        model._meta.label: model.objects.count() for model in apps.get_app_config("freelancers").get_models()
    }


def test_seeding_twice_leaves_exactly_the_rows_of_the_first_run():
    first_output = seed()
    after_first = row_counts()

    second_output = seed()

    assert row_counts() == after_first
    assert after_first["freelancers.Freelancer"] == 30
    assert "30 new freelancers" in first_output
    assert "0 new freelancers" in second_output


def test_the_demo_has_freelancers_in_every_status():
    seed()

    statuses = set(Freelancer.objects.values_list("status", flat=True))

    assert statuses == set(Freelancer.Status.values)


def test_the_demo_has_overdue_access_grants():
    seed()

    assert AccessGrant.objects.overdue().exists()


def test_the_demo_has_do_not_hire_freelancers_with_their_reasons():
    seed()

    flagged = Freelancer.objects.filter(do_not_hire=True)

    assert flagged.count() >= 2
    assert all(freelancer.do_not_hire_reason for freelancer in flagged)


def test_every_approved_demo_freelancer_meets_the_approval_rule():
    seed()

    approved = Freelancer.objects.with_vetting().filter(status=Freelancer.Status.APPROVED)

    assert approved
    for freelancer in approved:
        vetting = freelancer.vetting
        assert vetting.references_checked and vetting.interview_held and vetting.trial_done, freelancer
        assert not freelancer.do_not_hire, freelancer


def test_the_demo_spreads_rates_over_three_currencies():
    seed()

    assert set(Freelancer.objects.values_list("currency", flat=True)) == {"USD", "EUR", "GBP"}
