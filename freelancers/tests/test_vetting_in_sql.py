"""Vetting left incomplete, chosen in the database, agrees with Vetting.missing in Python."""

import itertools

import pytest

from freelancers.models import Freelancer
from freelancers.tests.factories import (
    FreelancerFactory,
    InterviewFactory,
    ReferenceFactory,
    WorkSampleFactory,
)
from projects.tests.factories import passed_trial

pytestmark = pytest.mark.django_db

STEPS = {
    "references_checked": lambda freelancer: ReferenceFactory(freelancer=freelancer, positive=True),
    "samples_reviewed": lambda freelancer: WorkSampleFactory(freelancer=freelancer, rating=4),
    "interview_held": lambda freelancer: InterviewFactory(freelancer=freelancer),
    "trial_done": passed_trial,
}


def test_every_combination_of_vetting_steps_is_incomplete_in_sql_exactly_when_python_says_so():
    for done in itertools.product([False, True], repeat=len(STEPS)):
        freelancer = FreelancerFactory(
            name="+".join(s for s, d in zip(STEPS, done, strict=True) if d) or "none"
        )
        for make, is_done in zip(STEPS.values(), done, strict=True):
            if is_done:
                make(freelancer)
        # Steps done in ways that do not count: a mixed reference, an unrated sample.
        ReferenceFactory(freelancer=freelancer)
        WorkSampleFactory(freelancer=freelancer)

    incomplete_in_sql = set(
        Freelancer.objects.with_vetting().vetting_incomplete().values_list("pk", flat=True)
    )
    incomplete_in_python = {f.pk for f in Freelancer.objects.with_vetting() if f.vetting.missing}

    assert incomplete_in_sql == incomplete_in_python
    assert len(incomplete_in_python) == 2 ** len(STEPS) - 1  # all but the one with every step done
