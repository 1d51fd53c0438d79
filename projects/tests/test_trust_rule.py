"""Move slowly until you trust: no big project without a finished trial, unless the owner overrides it."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from freelancers.tests.factories import FreelancerFactory
from milestones import project_services
from milestones.models import CheckIn, Milestone
from projects import services
from projects.models import Assignment, Project
from projects.tests.factories import MilestoneFactory, ProjectFactory, passed_trial

pytestmark = pytest.mark.django_db


def new_project(owner, freelancer, budget, **fields):
    """An unsaved project, as the form hands it to create_project."""
    return ProjectFactory.build(owner=owner, freelancer=freelancer, budget=Decimal(budget), **fields)


def rows():
    return (
        Project.objects.count(),
        Assignment.objects.count(),
        Milestone.objects.count(),
        CheckIn.objects.count(),
    )


def refusal(raised, field="freelancer"):
    return " ".join(raised.value.message_dict[field])


@pytest.fixture
def untested():
    return FreelancerFactory(name="Ana Silva")


# trust_problem, the rule in words.


def test_an_untested_freelancer_above_the_trial_limit_is_a_problem_naming_the_limit(untested, owner):
    problem = services.trust_problem(freelancer=untested, budget=Decimal("500.01"), currency="USD", by=owner)

    assert problem.startswith("Ana Silva has no finished trial project")
    assert "above the trial limit of USD 500.00" in problem


def test_an_untested_freelancer_at_exactly_the_trial_limit_is_no_problem(untested):
    assert services.trust_problem(freelancer=untested, budget=Decimal("500.00"), currency="USD") is None


def test_the_limit_is_named_in_the_projects_currency(untested, owner):
    problem = services.trust_problem(freelancer=untested, budget=Decimal("2000"), currency="EUR", by=owner)

    assert "trial limit of EUR 500.00" in problem


def test_the_limit_follows_the_setting(untested, settings, owner):
    settings.TRIAL_BUDGET_LIMIT = 800

    assert services.trust_problem(freelancer=untested, budget=Decimal("800.00"), currency="USD") is None
    assert "USD 800.00" in services.trust_problem(
        freelancer=untested, budget=Decimal("800.01"), currency="USD", by=owner
    )


def test_no_freelancer_or_no_budget_is_no_trust_problem(untested):
    assert services.trust_problem(freelancer=None, budget=Decimal("9000"), currency="USD") is None
    assert services.trust_problem(freelancer=untested, budget=None, currency="USD") is None


def test_a_freelancer_with_a_finished_trial_may_take_any_budget(untested):
    passed_trial(untested)

    assert services.trust_problem(freelancer=untested, budget=Decimal("50000"), currency="USD") is None


# check_assignment.


def test_check_assignment_says_whether_the_override_was_needed(owner, untested):
    small = new_project(owner, untested, "400")
    big = new_project(owner, untested, "900")

    assert services.check_assignment(project=small, freelancer=untested, override_reason="") is False
    assert services.check_assignment(project=big, freelancer=untested, override_reason="Known") is True
    with pytest.raises(ValidationError) as raised:
        services.check_assignment(project=big, freelancer=untested, override_reason="", by=owner)
    assert "trial limit of USD 500.00" in refusal(raised)


# create_project.


def test_creating_a_big_project_for_an_untested_freelancer_is_refused_and_saves_nothing(owner, untested):
    project = new_project(owner, untested, "500.01")
    milestone = MilestoneFactory.build(project=project, title="Design", due_on=project.due_on)

    with pytest.raises(ValidationError) as raised:
        project_services.create_project(project=project, milestones=[milestone], by=owner)

    assert "above the trial limit of USD 500.00" in refusal(raised)
    assert rows() == (0, 0, 0, 0)


def test_creating_a_project_at_exactly_the_limit_for_an_untested_freelancer_is_allowed(owner, untested):
    project = project_services.create_project(project=new_project(owner, untested, "500.00"), by=owner)

    project.refresh_from_db()
    assert project.freelancer == untested
    assert project.trust_override_reason == ""
    assert project.trust_override_by is None
    assert not project.trust_overridden
    assert Assignment.objects.filter(project=project, freelancer=untested, ended_on=None).count() == 1


def test_an_override_reason_allows_the_big_project_and_is_recorded_with_who_gave_it(owner, untested):
    project = new_project(owner, untested, "5000")

    project_services.create_project(
        project=project, by=owner, override_reason="  Worked with her for years.  "
    )

    project.refresh_from_db()
    assert project.freelancer == untested
    assert project.trust_override_reason == "Worked with her for years."
    assert project.trust_override_by == owner
    assert project.trust_overridden
    assert Assignment.objects.filter(project=project, freelancer=untested).count() == 1


@pytest.mark.parametrize("blank", ["", "   ", "\n\t"])
def test_a_blank_override_reason_does_not_count(owner, untested, blank):
    with pytest.raises(ValidationError) as raised:
        project_services.create_project(
            project=new_project(owner, untested, "5000"), by=owner, override_reason=blank
        )

    assert "trial limit" in refusal(raised)
    assert rows() == (0, 0, 0, 0)


def test_after_a_passed_trial_the_same_budget_is_allowed_without_override(owner, untested):
    passed_trial(untested)
    before = Project.objects.count()

    project = project_services.create_project(project=new_project(owner, untested, "5000"), by=owner)

    project.refresh_from_db()
    assert Project.objects.count() == before + 1
    assert project.freelancer == untested
    assert not project.trust_overridden


def test_an_override_reason_given_when_none_is_needed_is_not_recorded(owner, untested):
    project = project_services.create_project(
        project=new_project(owner, untested, "300"), by=owner, override_reason="Just in case"
    )

    project.refresh_from_db()
    assert project.trust_override_reason == ""
    assert project.trust_override_by is None


@pytest.mark.parametrize("budget", ["100", "5000"])
def test_a_do_not_hire_freelancer_is_refused_even_with_an_override(owner, budget):
    banned = FreelancerFactory(name="Bo Chen", do_not_hire=True, do_not_hire_reason="Vanished mid-project.")
    passed_trial(banned)
    before = rows()

    with pytest.raises(ValidationError) as raised:
        project_services.create_project(
            project=new_project(owner, banned, budget), by=owner, override_reason="I know him well"
        )

    assert refusal(raised) == "Bo Chen is marked do-not-hire: Vanished mid-project."
    assert rows() == before


def test_a_project_without_a_freelancer_needs_no_trial(owner):
    project = project_services.create_project(project=new_project(owner, None, "9000"), by=owner)

    project.refresh_from_db()
    assert project.freelancer is None
    assert not Assignment.objects.filter(project=project).exists()


# update_project.


def test_raising_the_budget_above_the_limit_for_an_untested_freelancer_is_refused(owner, untested):
    project = project_services.create_project(project=new_project(owner, untested, "400"), by=owner)

    project.budget = Decimal("900")
    with pytest.raises(ValidationError) as raised:
        project_services.update_project(project=project, by=owner)

    assert "above the trial limit of USD 500.00" in refusal(raised)
    project.refresh_from_db()
    assert project.budget == Decimal("400.00")
    assert not project.trust_overridden


def test_raising_the_budget_with_an_override_is_saved_and_the_override_recorded(owner, untested):
    project = project_services.create_project(project=new_project(owner, untested, "400"), by=owner)

    project.budget = Decimal("900")
    project_services.update_project(
        project=project, by=owner, override_reason="Rush job, she knows the shop."
    )

    project.refresh_from_db()
    assert project.budget == Decimal("900.00")
    assert project.trust_override_reason == "Rush job, she knows the shop."
    assert project.trust_override_by == owner


def test_raising_the_budget_for_a_freelancer_with_a_passed_trial_needs_no_override(owner, untested):
    passed_trial(untested)
    project = project_services.create_project(project=new_project(owner, untested, "400"), by=owner)

    project.budget = Decimal("9000")
    project_services.update_project(project=project, by=owner)

    project.refresh_from_db()
    assert project.budget == Decimal("9000.00")
    assert not project.trust_overridden


def test_editing_a_big_project_without_touching_the_budget_needs_no_new_override(owner, untested):
    project = project_services.create_project(
        project=new_project(owner, untested, "900"), by=owner, override_reason="Ok"
    )

    project.title = "Shop relaunch"
    project_services.update_project(project=project, by=owner)

    project.refresh_from_db()
    assert project.title == "Shop relaunch"
    assert project.trust_override_reason == "Ok"


def test_switching_a_big_project_to_an_untested_freelancer_is_refused_and_changes_nothing(owner, untested):
    tried = FreelancerFactory()
    passed_trial(tried)
    project = project_services.create_project(project=new_project(owner, tried, "900"), by=owner)

    project.freelancer = untested
    with pytest.raises(ValidationError) as raised:
        project_services.update_project(project=project, by=owner)

    assert "trial limit" in refusal(raised)
    project.refresh_from_db()
    assert project.freelancer == tried
    assert list(Assignment.objects.filter(project=project).values_list("freelancer", "ended_on")) == [
        (tried.pk, None)
    ]
