"""The status pipeline, do-not-hire and archiving, through the services every screen calls."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from freelancers import services
from freelancers.models import Freelancer, Reference
from freelancers.tests.factories import (
    FreelancerFactory,
    InterviewFactory,
    ReferenceFactory,
    WorkSampleFactory,
    vetted_freelancer,
)
from projects.tests.factories import passed_trial

pytestmark = pytest.mark.django_db

Status = Freelancer.Status


def almost_vetted(*, reference=True, interview=True, trial=True):
    """A freelancer in trial with every approval condition met except those switched off."""
    freelancer = FreelancerFactory(status=Status.TRIAL)
    if trial:
        passed_trial(freelancer)
    if reference:
        ReferenceFactory(freelancer=freelancer, positive=True)
    else:
        # A reference was checked, but it did not vouch for them.
        ReferenceFactory(
            freelancer=freelancer, outcome=Reference.Outcome.MIXED, contacted_on=timezone.localdate()
        )
    if interview:
        InterviewFactory(freelancer=freelancer)
    WorkSampleFactory(freelancer=freelancer, rating=4)
    return freelancer


def refusal_of_approval(freelancer, by=None):
    """The words said on "status" when approval is refused (fails the test if it is not refused)."""
    with pytest.raises(ValidationError) as refused:
        services.change_status(freelancer=freelancer, status=Status.APPROVED, by=by)
    assert "status" in refused.value.message_dict, refused.value.message_dict
    return " ".join(refused.value.message_dict["status"]).lower().replace("-", " ")


def test_approval_is_refused_without_a_positive_reference():
    freelancer = almost_vetted(reference=False)

    words = refusal_of_approval(freelancer)

    assert "reference" in words
    assert "interview" not in words
    assert "trial" not in words


def test_approval_is_refused_without_an_interview():
    freelancer = almost_vetted(interview=False)

    words = refusal_of_approval(freelancer)

    assert "interview" in words
    assert "reference" not in words
    assert "trial" not in words


def test_approval_is_refused_without_a_finished_trial():
    freelancer = almost_vetted(trial=False)

    words = refusal_of_approval(freelancer)

    assert "trial" in words
    assert "reference" not in words
    assert "interview" not in words


def test_approval_of_a_fresh_prospect_names_every_missing_thing():
    freelancer = FreelancerFactory()

    words = refusal_of_approval(freelancer)

    assert "reference" in words
    assert "interview" in words
    assert "trial" in words


def test_approval_is_refused_for_a_do_not_hire_freelancer_even_when_fully_vetted(owner):
    freelancer = vetted_freelancer()
    services.mark_do_not_hire(freelancer=freelancer, reason="Missed three deadlines.", by=owner)

    words = refusal_of_approval(freelancer)

    assert "do not hire" in words
    assert "reference" not in words


def test_a_refused_approval_leaves_the_status_unchanged_in_the_database():
    freelancer = almost_vetted(interview=False)
    history_before = freelancer.history.count()

    refusal_of_approval(freelancer)

    freelancer.refresh_from_db()
    assert freelancer.status == Status.TRIAL
    assert freelancer.history.count() == history_before


def test_a_vetted_freelancer_is_approved(owner):
    freelancer = vetted_freelancer()

    services.change_status(freelancer=freelancer, status=Status.APPROVED, by=owner)

    freelancer.refresh_from_db()
    assert freelancer.status == Status.APPROVED


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (Status.PROSPECT, Status.VETTING),
        (Status.VETTING, Status.TRIAL),
        (Status.TRIAL, Status.VETTING),
        (Status.TRIAL, Status.PROSPECT),
        (Status.PROSPECT, Status.TRIAL),
    ],
)
def test_moves_between_prospect_vetting_and_trial_need_no_vetting(start, target):
    freelancer = FreelancerFactory(status=start)

    services.change_status(freelancer=freelancer, status=target)

    freelancer.refresh_from_db()
    assert freelancer.status == target


def test_an_approved_freelancer_can_be_moved_back_to_trial():
    freelancer = vetted_freelancer()
    services.change_status(freelancer=freelancer, status=Status.APPROVED)

    services.change_status(freelancer=freelancer, status=Status.TRIAL)

    freelancer.refresh_from_db()
    assert freelancer.status == Status.TRIAL


def test_an_unknown_status_is_refused():
    freelancer = FreelancerFactory(status=Status.VETTING)

    with pytest.raises(ValidationError) as refused:
        services.change_status(freelancer=freelancer, status="hired")

    assert "status" in refused.value.message_dict
    freelancer.refresh_from_db()
    assert freelancer.status == Status.VETTING


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_marking_do_not_hire_needs_a_reason(reason):
    freelancer = FreelancerFactory()

    with pytest.raises(ValidationError) as refused:
        services.mark_do_not_hire(freelancer=freelancer, reason=reason)

    assert refused.value.message_dict["do_not_hire_reason"]
    freelancer.refresh_from_db()
    assert freelancer.do_not_hire is False
    assert freelancer.do_not_hire_reason == ""


def test_marking_do_not_hire_stores_the_reason(owner):
    freelancer = FreelancerFactory()

    services.mark_do_not_hire(freelancer=freelancer, reason="  Shared client files publicly.  ", by=owner)

    freelancer.refresh_from_db()
    assert freelancer.do_not_hire is True
    assert freelancer.do_not_hire_reason == "Shared client files publicly."
    assert freelancer.history.first().history_user == owner


def test_archiving_hides_a_freelancer_from_active_and_restoring_brings_them_back(owner):
    freelancer = FreelancerFactory()
    kept = FreelancerFactory()

    services.archive_freelancer(freelancer=freelancer, by=owner)

    freelancer.refresh_from_db()
    assert freelancer.archived_at is not None
    assert list(Freelancer.objects.active()) == [kept]
    assert Freelancer.objects.filter(pk=freelancer.pk).exists()

    services.restore_freelancer(freelancer=freelancer, by=owner)

    freelancer.refresh_from_db()
    assert freelancer.archived_at is None
    assert set(Freelancer.objects.active()) == {freelancer, kept}


def test_archiving_twice_keeps_the_first_archive_time():
    freelancer = FreelancerFactory()
    services.archive_freelancer(freelancer=freelancer)
    freelancer.refresh_from_db()
    first = freelancer.archived_at

    services.archive_freelancer(freelancer=freelancer)

    freelancer.refresh_from_db()
    assert freelancer.archived_at == first


def test_the_history_records_who_changed_the_status(owner):
    freelancer = FreelancerFactory(status=Status.PROSPECT)

    services.change_status(freelancer=freelancer, status=Status.VETTING, by=owner)

    latest = freelancer.history.first()
    assert latest.status == Status.VETTING
    assert latest.history_user == owner


def test_the_history_records_who_approved_and_who_archived(owner, assistant):
    freelancer = vetted_freelancer()

    services.change_status(freelancer=freelancer, status=Status.APPROVED, by=owner)
    assert freelancer.history.first().history_user == owner

    services.archive_freelancer(freelancer=freelancer, by=assistant)
    latest = freelancer.history.first()
    assert latest.history_user == assistant
    assert latest.archived_at is not None
