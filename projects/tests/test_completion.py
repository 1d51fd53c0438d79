"""Completing a project: unfinished milestones need a note, the review is kept, do-not-hire on request."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from freelancers.tests.factories import FreelancerFactory
from milestones import project_services
from milestones.models import CheckIn, Milestone
from projects.models import Project, Review
from projects.tests.factories import CheckInFactory, MilestoneFactory, ProjectFactory, ReviewFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
Status = Milestone.Status


@pytest.fixture
def project():
    project = ProjectFactory(title="Shop relaunch", freelancer=FreelancerFactory(name="Ana Silva"))
    MilestoneFactory(project=project, title="Design", status=Status.APPROVED)
    MilestoneFactory(project=project, title="Build", status=Status.SUBMITTED)
    MilestoneFactory(project=project, title="Launch", status=Status.PLANNED)
    MilestoneFactory(project=project, title="Blog", status=Status.CANCELLED)
    return project


def a_review(**fields):
    """An unsaved review, as the completion form hands it over."""
    fields = {
        "quality": 4,
        "communication": 5,
        "timeliness": 3,
        "budget": 4,
        "would_rehire": Review.Rehire.YES,
        "went_well": "Clear questions early on.",
        **fields,
    }
    return Review(**fields)


def approve_all(project):
    project.milestones.exclude(status=Status.CANCELLED).update(status=Status.APPROVED)


def test_completing_with_unfinished_milestones_and_no_note_is_refused_naming_them(owner, project):
    with pytest.raises(ValidationError) as raised:
        project_services.complete_project(project=project, review=a_review(), by=owner)

    assert raised.value.message_dict == {
        "unfinished_note": [
            "These milestones are not approved: “Build”, “Launch”. Say why you complete it anyway."
        ]
    }


@pytest.mark.parametrize("note", ["", "   "])
def test_a_refused_completion_changes_nothing(owner, project, note):
    future = CheckInFactory(project=project)

    with pytest.raises(ValidationError):
        project_services.complete_project(project=project, review=a_review(), by=owner, unfinished_note=note)

    project.refresh_from_db()
    assert project.status == Project.Status.ACTIVE
    assert project.completed_on is None
    assert project.completion_note == ""
    assert not Review.objects.exists()
    assert CheckIn.objects.filter(pk=future.pk).exists()


def test_completing_with_unfinished_milestones_and_a_note_is_allowed_and_the_note_kept(owner, project):
    project_services.complete_project(
        project=project, review=a_review(), by=owner, unfinished_note="  Launch moved to the next project.  "
    )

    project.refresh_from_db()
    assert project.status == Project.Status.COMPLETED
    assert project.completed_on == timezone.localdate()
    assert project.completion_note == "Launch moved to the next project."


def test_completing_with_every_milestone_approved_needs_no_note(owner, project):
    approve_all(project)

    project_services.complete_project(project=project, review=a_review(), by=owner)

    project.refresh_from_db()
    assert project.status == Project.Status.COMPLETED
    assert project.completed_on == timezone.localdate()
    assert project.completion_note == ""


def test_the_review_is_saved_for_the_project_and_its_freelancer(owner, project):
    approve_all(project)

    project_services.complete_project(
        project=project, review=a_review(do_differently="Agree on copy sooner."), by=owner
    )

    review = Review.objects.get()
    assert review.project == project
    assert review.freelancer.name == "Ana Silva"
    assert (review.quality, review.communication, review.timeliness, review.budget) == (4, 5, 3, 4)
    assert review.do_differently == "Agree on copy sooner."


def test_completing_records_who_completed_it_in_the_history(owner, project):
    approve_all(project)

    project_services.complete_project(project=project, review=a_review(), by=owner)

    latest = project.history.first()
    assert latest.status == Project.Status.COMPLETED
    assert latest.history_user == owner


def test_completing_deletes_the_future_planned_check_ins_and_keeps_held_and_past_ones(owner, project):
    approve_all(project)
    now = timezone.now()
    future = CheckInFactory(project=project, scheduled_for=now + 2 * DAY)
    held_early = CheckInFactory(project=project, scheduled_for=now + 3 * DAY, held_on=timezone.localdate())
    missed = CheckInFactory(project=project, scheduled_for=now - 2 * DAY)
    held = CheckInFactory(
        project=project, scheduled_for=now - 9 * DAY, held_on=timezone.localdate() - 9 * DAY
    )
    elsewhere = CheckInFactory(scheduled_for=now + 2 * DAY)

    project_services.complete_project(project=project, review=a_review(), by=owner)

    assert set(CheckIn.objects.values_list("pk", flat=True)) == {
        held_early.pk,
        missed.pk,
        held.pk,
        elsewhere.pk,
    }
    assert not CheckIn.objects.filter(pk=future.pk).exists()


def test_would_not_rehire_with_do_not_hire_ticked_marks_the_freelancer_with_the_review_as_reason(
    owner, project
):
    approve_all(project)
    review = a_review(would_rehire=Review.Rehire.NO, do_differently="Missed every deadline.")

    project_services.complete_project(project=project, review=review, by=owner, mark_do_not_hire=True)

    freelancer = project.freelancer
    freelancer.refresh_from_db()
    assert freelancer.do_not_hire
    assert freelancer.do_not_hire_reason == "Review of “Shop relaunch”: Missed every deadline."


def test_would_not_rehire_without_saying_what_to_do_differently_still_gives_a_reason(owner, project):
    approve_all(project)

    project_services.complete_project(
        project=project, review=a_review(would_rehire=Review.Rehire.NO), by=owner, mark_do_not_hire=True
    )

    project.freelancer.refresh_from_db()
    assert project.freelancer.do_not_hire_reason == "Review of “Shop relaunch”: would not rehire"


def test_would_not_rehire_without_do_not_hire_ticked_leaves_the_freelancer_hireable(owner, project):
    approve_all(project)

    project_services.complete_project(
        project=project, review=a_review(would_rehire=Review.Rehire.NO), by=owner, mark_do_not_hire=False
    )

    project.freelancer.refresh_from_db()
    assert not project.freelancer.do_not_hire
    assert project.freelancer.do_not_hire_reason == ""


@pytest.mark.parametrize("rehire", [Review.Rehire.YES, Review.Rehire.MAYBE])
def test_do_not_hire_ticked_on_a_review_that_would_rehire_does_nothing(owner, project, rehire):
    approve_all(project)

    project_services.complete_project(
        project=project, review=a_review(would_rehire=rehire), by=owner, mark_do_not_hire=True
    )

    project.freelancer.refresh_from_db()
    assert not project.freelancer.do_not_hire


def test_a_second_review_for_the_same_project_and_freelancer_is_refused(owner, project):
    approve_all(project)
    ReviewFactory(project=project, freelancer=project.freelancer)

    with pytest.raises(ValidationError) as raised:
        project_services.complete_project(project=project, review=a_review(), by=owner)

    assert raised.value.message_dict["freelancer"] == [
        "This freelancer has already been reviewed for this project."
    ]
    assert Review.objects.filter(project=project).count() == 1
    project.refresh_from_db()
    assert project.status == Project.Status.ACTIVE


def test_a_review_with_a_rating_out_of_range_is_refused_and_nothing_completes(owner, project):
    approve_all(project)

    with pytest.raises(ValidationError) as raised:
        project_services.complete_project(project=project, review=a_review(quality=6), by=owner)

    assert "quality" in raised.value.message_dict
    project.refresh_from_db()
    assert project.status == Project.Status.ACTIVE
    assert not Review.objects.exists()


def test_a_completed_project_without_a_review_is_owed_one(owner, project):
    approve_all(project)

    project_services.complete_project(project=project, review=None, by=owner)

    assert list(Project.objects.reviews_owed()) == [project]


def test_a_completed_project_with_its_review_is_not_owed_one(owner, project):
    approve_all(project)

    project_services.complete_project(project=project, review=a_review(), by=owner)

    assert not Project.objects.reviews_owed().exists()


def test_only_completed_projects_with_a_freelancer_are_owed_a_review():
    ProjectFactory(status=Project.Status.ACTIVE)
    ProjectFactory(status=Project.Status.CANCELLED)
    ProjectFactory(status=Project.Status.COMPLETED, freelancer=None)
    owed = ProjectFactory(status=Project.Status.COMPLETED)

    assert list(Project.objects.reviews_owed()) == [owed]


def test_a_review_of_a_previous_freelancer_does_not_settle_the_current_ones():
    project = ProjectFactory(status=Project.Status.COMPLETED)
    ReviewFactory(project=project, freelancer=FreelancerFactory())

    assert list(Project.objects.reviews_owed()) == [project]
