"""Trust levels from reviews: untested, trial passed, trusted; one rule for "rated well" in Python and SQL."""

import pytest

from freelancers.models import Freelancer
from freelancers.tests.factories import FreelancerFactory
from projects.models import Project, Review
from projects.tests.factories import ProjectFactory, ReviewFactory, passed_trial

pytestmark = pytest.mark.django_db

Level = Freelancer.TrustLevel
BADLY = {"quality": 4, "communication": 4, "timeliness": 4, "budget": 3}  # 15 points, average 3.75


def counted(freelancer):
    return Freelancer.objects.with_vetting().get(pk=freelancer.pk)


def reviewed_project(freelancer, *, is_trial=False, status=Project.Status.COMPLETED, **review):
    project = ProjectFactory(freelancer=freelancer, is_trial=is_trial, status=status)
    return ReviewFactory(project=project, freelancer=freelancer, **review)


def test_a_freelancer_without_reviews_is_untested():
    freelancer = counted(FreelancerFactory())

    assert freelancer.trust_level == Level.UNTESTED
    assert freelancer.trial_review_count == 0
    assert freelancer.well_rated_review_count == 0
    assert not freelancer.trial_done


def test_one_well_rated_review_of_a_completed_trial_makes_the_trial_passed():
    freelancer = FreelancerFactory()
    passed_trial(freelancer)

    counted_freelancer = counted(freelancer)

    assert counted_freelancer.trust_level == Level.TRIAL_PASSED
    assert counted_freelancer.trial_review_count == 1
    assert counted_freelancer.trial_done
    assert freelancer.trial_done
    assert freelancer.trust == Level.TRIAL_PASSED


def test_a_trial_rated_badly_is_not_passed():
    freelancer = FreelancerFactory()
    passed_trial(freelancer, **BADLY)

    assert counted(freelancer).trust_level == Level.UNTESTED
    assert not freelancer.trial_done


def test_a_well_rated_trial_from_someone_you_would_not_rehire_is_not_passed():
    freelancer = FreelancerFactory()
    passed_trial(
        freelancer, quality=5, communication=5, timeliness=5, budget=5, would_rehire=Review.Rehire.NO
    )

    assert counted(freelancer).trust_level == Level.UNTESTED


def test_a_would_maybe_rehire_counts_as_rated_well():
    freelancer = FreelancerFactory()
    passed_trial(freelancer, would_rehire=Review.Rehire.MAYBE)

    assert counted(freelancer).trust_level == Level.TRIAL_PASSED


@pytest.mark.parametrize(
    "status", [Project.Status.ACTIVE, Project.Status.ON_HOLD, Project.Status.CANCELLED, Project.Status.DRAFT]
)
def test_a_well_rated_trial_project_that_is_not_completed_is_not_passed(status):
    freelancer = FreelancerFactory()
    reviewed_project(freelancer, is_trial=True, status=status)

    assert counted(freelancer).trust_level == Level.UNTESTED
    assert not freelancer.trial_done


def test_one_well_rated_ordinary_project_is_not_a_trial():
    freelancer = FreelancerFactory()
    reviewed_project(freelancer)

    counted_freelancer = counted(freelancer)

    assert counted_freelancer.trust_level == Level.UNTESTED
    assert counted_freelancer.well_rated_review_count == 1


def test_two_well_rated_completed_projects_make_a_freelancer_trusted():
    freelancer = FreelancerFactory()
    reviewed_project(freelancer)
    reviewed_project(freelancer)

    assert counted(freelancer).trust_level == Level.TRUSTED


def test_a_passed_trial_and_one_more_well_rated_project_make_a_freelancer_trusted():
    freelancer = FreelancerFactory()
    passed_trial(freelancer)
    reviewed_project(freelancer)

    counted_freelancer = counted(freelancer)

    assert counted_freelancer.trust_level == Level.TRUSTED
    assert counted_freelancer.well_rated_review_count == 2


def test_a_badly_rated_second_project_does_not_make_a_freelancer_trusted():
    freelancer = FreelancerFactory()
    passed_trial(freelancer)
    reviewed_project(freelancer, **BADLY)

    assert counted(freelancer).trust_level == Level.TRIAL_PASSED


def test_reviews_of_other_freelancers_do_not_count():
    freelancer = FreelancerFactory()
    other = FreelancerFactory()
    passed_trial(other)
    reviewed_project(other)

    assert counted(freelancer).trust_level == Level.UNTESTED
    assert counted(other).trust_level == Level.TRUSTED


def test_trust_levels_are_annotated_for_a_whole_list_in_one_query(django_assert_num_queries):
    untested, passed, trusted = FreelancerFactory(), FreelancerFactory(), FreelancerFactory()
    passed_trial(passed)
    passed_trial(trusted)
    reviewed_project(trusted)

    # 1. the freelancers with their counts as subqueries
    with django_assert_num_queries(1):
        levels = {f.pk: f.trust for f in Freelancer.objects.with_vetting()}

    assert levels == {untested.pk: Level.UNTESTED, passed.pk: Level.TRIAL_PASSED, trusted.pk: Level.TRUSTED}


RATINGS = [
    # quality, communication, timeliness, budget, would rehire, rated well?
    pytest.param(4, 4, 4, 4, "yes", True, id="16 points"),
    pytest.param(5, 5, 5, 1, "yes", True, id="16 points, uneven"),
    pytest.param(5, 4, 4, 3, "maybe", True, id="16 points, maybe"),
    pytest.param(5, 5, 5, 5, "yes", True, id="20 points"),
    pytest.param(4, 4, 4, 3, "yes", False, id="15 points"),
    pytest.param(5, 5, 4, 1, "yes", False, id="15 points, uneven"),
    pytest.param(1, 1, 1, 1, "yes", False, id="4 points"),
    pytest.param(5, 5, 5, 5, "no", False, id="20 points, would not rehire"),
    pytest.param(4, 4, 4, 4, "no", False, id="16 points, would not rehire"),
]


@pytest.mark.parametrize(("quality", "communication", "timeliness", "budget", "rehire", "well"), RATINGS)
def test_the_rated_well_property_and_queryset_agree(quality, communication, timeliness, budget, rehire, well):
    review = ReviewFactory(
        quality=quality,
        communication=communication,
        timeliness=timeliness,
        budget=budget,
        would_rehire=rehire,
    )
    ReviewFactory(quality=5, communication=5, timeliness=5, budget=5)  # a neighbour that is always rated well
    review.refresh_from_db()

    assert review.rated_well is well
    assert Review.objects.rated_well().filter(pk=review.pk).exists() is well


def test_the_average_is_an_exact_decimal():
    review = ReviewFactory(quality=5, communication=4, timeliness=4, budget=4)

    assert str(review.average) == "4.25"
