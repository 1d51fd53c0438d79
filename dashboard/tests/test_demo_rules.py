"""The demo data is written through the services, so it keeps every rule a page keeps."""

import pytest
from django.core.exceptions import ValidationError

from dashboard.demo import projects as demo
from milestones.models import Milestone
from projects.models import Project

pytestmark = pytest.mark.django_db

OVER = "more than the budget plus contingency"


def seed_only(monkeypatch, **plan):
    """Seed the demo with just this one plan (and the demo freelancers)."""
    defaults = {
        "freelancer": None,
        "status": Project.Status.ACTIVE,
        "start": -10,
        "due": 20,
        "budget": "400.00",
    }
    monkeypatch.setattr(demo, "PLANS", [demo.Plan(title="Odd plan", brief="", **{**defaults, **plan})])
    return demo.seed_projects


def test_the_demo_refuses_a_milestone_past_the_due_date_plus_leeway(monkeypatch, owner):
    seed = seed_only(monkeypatch, milestones=(("Late", 24, "100.00", Milestone.Status.PLANNED),))

    with pytest.raises(ValidationError, match="after the project's due date plus its leeway"):
        seed(owner=owner)

    assert not Project.objects.filter(title="Odd plan").exists()


def test_the_demo_refuses_milestones_above_budget_plus_contingency(monkeypatch, owner):
    seed = seed_only(monkeypatch, milestones=(("All", 10, "450.00", Milestone.Status.PLANNED),))

    with pytest.raises(ValidationError, match=OVER):
        seed(owner=owner)

    assert not Project.objects.filter(title="Odd plan").exists()


def test_the_demo_refuses_an_untested_freelancer_on_a_big_budget_without_an_override(monkeypatch, owner):
    # Yuki is in trial, her trial job not among the plans: she has none finished.
    seed = seed_only(monkeypatch, freelancer="yuki", budget="1400.00")

    with pytest.raises(ValidationError, match="has no finished trial project"):
        seed(owner=owner)

    assert not Project.objects.filter(title="Odd plan").exists()


def test_the_demo_refuses_a_payment_of_nothing(monkeypatch, owner):
    seed = seed_only(monkeypatch, payments=(("0.00", -1, None, "Nothing"),))

    with pytest.raises(ValidationError, match="A payment must be more than zero."):
        seed(owner=owner)

    assert not Project.objects.filter(title="Odd plan").exists()


def test_the_demo_writes_through_the_services_with_the_owner_as_author(monkeypatch, owner):
    seed = seed_only(
        monkeypatch,
        freelancer="kwame",
        milestones=(("All", 10, "300.00", Milestone.Status.PLANNED),),
        payments=(("100.00", -1, 0, "Deposit"),),
        backups=(("ana", 3),),
    )

    seed(owner=owner)

    project = Project.objects.get(title="Odd plan")
    payment, backup, assignment = project.payments.get(), project.backups.get(), project.assignments.get()
    assert payment.recorded_by == owner
    for row in (project, project.milestones.get(), payment, backup, assignment):
        assert row.history.first().history_user == owner, row
