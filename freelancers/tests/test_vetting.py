"""Vetting completeness, the overdue-access badge and trust, as with_vetting() annotates them."""

import datetime

import pytest
from django.utils import timezone

from freelancers.models import Freelancer, Reference, Vetting
from freelancers.tests.factories import (
    AccessGrantFactory,
    FreelancerFactory,
    InterviewFactory,
    ReferenceFactory,
    SkillFactory,
    WorkSampleFactory,
)
from projects.tests.factories import passed_trial

pytestmark = pytest.mark.django_db

NOTHING_DONE = Vetting(
    references_checked=False, samples_reviewed=False, interview_held=False, trial_done=False
)


def counted(freelancer):
    """The freelancer as every page reads them: fresh from the database, through with_vetting()."""
    return Freelancer.objects.with_vetting().get(pk=freelancer.pk)


def finish_trial(freelancer):
    passed_trial(freelancer)


def test_a_fresh_freelancer_is_zero_percent_vetted_with_four_missing_items_in_words():
    vetting = counted(FreelancerFactory()).vetting

    assert vetting == NOTHING_DONE
    assert vetting.percent == 0
    assert vetting.done_count == 0
    assert len(vetting.missing) == 4
    assert all(isinstance(words, str) and words.strip() for words in vetting.missing)
    assert len(set(vetting.missing)) == 4


def test_a_positive_reference_checks_the_references_and_nothing_else():
    freelancer = FreelancerFactory()
    ReferenceFactory(freelancer=freelancer, positive=True)

    vetting = counted(freelancer).vetting

    assert vetting == Vetting(
        references_checked=True, samples_reviewed=False, interview_held=False, trial_done=False
    )
    assert vetting.percent == 25
    assert len(vetting.missing) == 3


@pytest.mark.parametrize(
    "outcome",
    [
        Reference.Outcome.NOT_CONTACTED,
        Reference.Outcome.MIXED,
        Reference.Outcome.NEGATIVE,
        Reference.Outcome.UNREACHABLE,
    ],
)
def test_a_reference_that_is_not_positive_does_not_check_the_references(outcome):
    freelancer = FreelancerFactory()
    contacted_on = None if outcome == Reference.Outcome.NOT_CONTACTED else timezone.localdate()
    ReferenceFactory(freelancer=freelancer, outcome=outcome, contacted_on=contacted_on)

    freelancer = counted(freelancer)

    assert freelancer.positive_reference_count == 0
    assert freelancer.vetting == NOTHING_DONE
    assert freelancer.vetting.percent == 0


def test_a_rated_work_sample_counts_as_reviewed_and_nothing_else():
    freelancer = FreelancerFactory()
    WorkSampleFactory(freelancer=freelancer, rating=3)

    vetting = counted(freelancer).vetting

    assert vetting == Vetting(
        references_checked=False, samples_reviewed=True, interview_held=False, trial_done=False
    )
    assert vetting.percent == 25


def test_an_unrated_work_sample_does_not_count_as_reviewed():
    freelancer = FreelancerFactory()
    WorkSampleFactory(freelancer=freelancer, rating=None)

    assert counted(freelancer).vetting == NOTHING_DONE


def test_an_interview_counts_as_held_and_nothing_else():
    freelancer = FreelancerFactory()
    InterviewFactory(freelancer=freelancer)

    vetting = counted(freelancer).vetting

    assert vetting == Vetting(
        references_checked=False, samples_reviewed=False, interview_held=True, trial_done=False
    )
    assert vetting.percent == 25


def test_a_finished_trial_counts_as_done_and_nothing_else():
    freelancer = FreelancerFactory()
    finish_trial(freelancer)

    vetting = counted(freelancer).vetting

    assert vetting == Vetting(
        references_checked=False, samples_reviewed=False, interview_held=False, trial_done=True
    )
    assert vetting.percent == 25


def test_a_freelancer_with_every_item_done_is_fully_vetted_with_nothing_missing():
    freelancer = FreelancerFactory()
    ReferenceFactory(freelancer=freelancer, positive=True)
    WorkSampleFactory(freelancer=freelancer, rating=5)
    InterviewFactory(freelancer=freelancer)
    finish_trial(freelancer)

    vetting = counted(freelancer).vetting

    assert vetting.percent == 100
    assert vetting.done_count == 4
    assert vetting.missing == []
    assert all(done for done, _words in vetting.items)


def test_another_freelancers_records_do_not_count_for_this_one():
    this_one = FreelancerFactory()
    other = FreelancerFactory()
    ReferenceFactory(freelancer=other, positive=True)
    ReferenceFactory(freelancer=other, positive=True)
    WorkSampleFactory(freelancer=other, rating=5)
    InterviewFactory(freelancer=other)
    AccessGrantFactory(freelancer=other, overdue=True)

    this_one = counted(this_one)
    other = counted(other)

    assert this_one.vetting == NOTHING_DONE
    assert this_one.has_overdue_access is False
    assert other.positive_reference_count == 2
    assert other.vetting.percent == 75
    assert other.has_overdue_access is True


def test_an_open_grant_past_its_revoke_by_date_is_overdue_access():
    freelancer = FreelancerFactory()
    AccessGrantFactory(freelancer=freelancer, overdue=True)

    assert counted(freelancer).has_overdue_access is True


def test_a_revoked_grant_past_its_revoke_by_date_is_not_overdue_access():
    freelancer = FreelancerFactory()
    today = timezone.localdate()
    AccessGrantFactory(freelancer=freelancer, overdue=True, revoked_on=today - datetime.timedelta(days=1))

    assert counted(freelancer).has_overdue_access is False


@pytest.mark.parametrize("days_left", [0, 1, 30])
def test_an_open_grant_due_today_or_later_is_not_overdue_access(days_left):
    freelancer = FreelancerFactory()
    AccessGrantFactory(freelancer=freelancer, revoke_by=timezone.localdate() + datetime.timedelta(days_left))

    assert counted(freelancer).has_overdue_access is False


def test_a_freelancer_is_untested_until_a_trial_is_finished_then_trial_passed():
    freelancer = FreelancerFactory()
    assert counted(freelancer).trust_level == Freelancer.TrustLevel.UNTESTED

    finish_trial(freelancer)

    assert counted(freelancer).trust_level == Freelancer.TrustLevel.TRIAL_PASSED


@pytest.mark.parametrize("how_many", [2, 20])
def test_with_vetting_reads_any_number_of_freelancers_in_one_query(how_many, django_assert_num_queries):
    for n in range(how_many):
        freelancer = FreelancerFactory()
        # Every kind of record, so a lazy per-row lookup anywhere would show up as extra queries.
        ReferenceFactory(freelancer=freelancer, positive=n % 2 == 0)
        WorkSampleFactory(freelancer=freelancer, rating=4)
        InterviewFactory(freelancer=freelancer)
        AccessGrantFactory(freelancer=freelancer, overdue=n % 3 == 0)

    # The one query: freelancers with their four counts as subqueries.
    with django_assert_num_queries(1):
        seen = [(f.vetting.percent, f.has_overdue_access) for f in Freelancer.objects.with_vetting()]

    assert len(seen) == how_many
    assert sum(overdue for _percent, overdue in seen) == len(range(0, how_many, 3))
    assert sorted({percent for percent, _overdue in seen}) == [50, 75]


def test_search_finds_a_freelancer_by_part_of_the_name():
    wanted = FreelancerFactory(name="Amelia Hartwell")
    FreelancerFactory(name="Bruno Diaz")

    assert list(Freelancer.objects.search("hartw")) == [wanted]


def test_search_finds_a_freelancer_by_email_in_any_case():
    wanted = FreelancerFactory(name="Chen Li", email="Chen.Li@Studio-Example.com")
    FreelancerFactory(name="Dana Roe", email="dana@elsewhere.example.com")

    assert list(Freelancer.objects.search("chen.li@studio")) == [wanted]
    assert list(Freelancer.objects.search("STUDIO-EXAMPLE")) == [wanted]


def test_search_finds_a_freelancer_by_skill_name():
    wanted = FreelancerFactory(name="Eve Novak")
    wanted.skills.add(SkillFactory(name="WordPress"))
    other = FreelancerFactory(name="Femi Ade")
    other.skills.add(SkillFactory(name="Bookkeeping"))

    assert list(Freelancer.objects.search("wordpr")) == [wanted]


def test_search_lists_a_freelancer_once_when_two_of_their_skills_match():
    wanted = FreelancerFactory(name="Gita Rao")
    wanted.skills.add(SkillFactory(name="Copywriting"), SkillFactory(name="Technical writing"))

    assert list(Freelancer.objects.search("writing")) == [wanted]


def test_search_combines_with_vetting_without_duplicates():
    wanted = FreelancerFactory(name="Hana Sato")
    wanted.skills.add(SkillFactory(name="Copywriting"), SkillFactory(name="Technical writing"))
    ReferenceFactory(freelancer=wanted, positive=True)

    found = list(Freelancer.objects.with_vetting().search("writing"))

    assert found == [wanted]
    assert found[0].vetting.references_checked is True


def test_blank_search_finds_everyone():
    everyone = {FreelancerFactory().pk, FreelancerFactory().pk}

    assert {f.pk for f in Freelancer.objects.search("   ")} == everyone
