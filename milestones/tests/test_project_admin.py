"""The project's admin page with its milestones: the milestones' layer adds the inline to the
project admin, and a milestone saved there re-plans the active project's check-ins."""

import datetime
from http import HTTPStatus

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from milestones.models import Milestone
from projects.models import Project
from projects.tests.factories import ProjectFactory
from projects.tests.test_admin import project_form_data

pytestmark = pytest.mark.django_db


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def test_the_registered_project_admin_edits_the_milestones_inline():
    inline_models = [inline.model for inline in admin.site.get_model_admin(Project).inlines]

    assert inline_models[0] is Milestone


def test_a_milestone_added_in_the_project_admin_gets_a_check_in_the_day_before(owner_client):
    project = ProjectFactory(due_on=days(30), schedule_buffer_days=3, checkin_every_days=60)
    url = reverse("admin:projects_project_change", args=[project.pk])
    data = project_form_data(
        owner_client, url, title=project.title, start_on=project.start_on.isoformat(), checkin_every_days="60"
    )
    data.update(
        {
            "milestones-TOTAL_FORMS": "1",
            "milestones-0-title": "Go-live",
            "milestones-0-due_on": days(12).isoformat(),
            "milestones-0-amount": "100.00",
            "milestones-0-status": Milestone.Status.PLANNED,
            "milestones-0-order": "1",
        }
    )

    response = owner_client.post(url, data)

    assert response.status_code == HTTPStatus.FOUND
    assert project.milestones.get().title == "Go-live"
    planned = [timezone.localtime(checkin.scheduled_for).date() for checkin in project.checkins.all()]
    assert days(11) in planned
