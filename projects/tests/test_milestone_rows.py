"""The milestone rows of the project form: one header row, blank spare rows, and rows added in the page."""

import re
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from projects.models import Project
from projects.tests.factories import MilestoneFactory
from projects.tests.test_project_pages import DAY, TODAY, project_data

pytestmark = pytest.mark.django_db


def milestone_rows(html):
    """The part of the page below the milestone table's header row, the spare row's template included."""
    return html.split('data-formset-rows="milestones"', 1)[1]


def input_tag(html, name):
    return re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html).group()


def row(index, title="", due_on="", amount="", status="planned", order=""):
    prefix = f"milestones-{index}-"
    return {
        prefix + "title": title,
        prefix + "due_on": due_on,
        prefix + "amount": amount,
        prefix + "status": status,
        prefix + "order": order,
    }


def test_the_new_project_form_labels_the_milestone_columns_once(owner_client):
    html = owner_client.get(reverse("projects:create")).content.decode()

    rows = milestone_rows(html)
    assert "<label" not in rows
    assert "asteriskField" not in rows
    assert 'aria-label="Title"' in input_tag(rows, "milestones-0-title")


def test_the_new_project_form_starts_amount_and_order_blank(owner_client):
    html = owner_client.get(reverse("projects:create")).content.decode()

    for index in (0, 1, "__prefix__"):
        for field in ("amount", "order"):
            assert "value=" not in input_tag(html, f"milestones-{index}-{field}")


def test_an_untouched_row_is_skipped_and_an_empty_order_is_the_row_position(owner_client):
    data = project_data(
        **{"milestones-TOTAL_FORMS": "3"},
        **row(0),
        **row(1, title="Wireframes", due_on=(TODAY + 10 * DAY).isoformat()),
        **row(2, title="Shop pages", due_on=(TODAY + 20 * DAY).isoformat(), amount="300", order="7"),
    )

    response = owner_client.post(reverse("projects:create"), data)

    assert response.status_code == HTTPStatus.FOUND
    project = Project.objects.get(title="Shop relaunch")
    assert list(project.milestones.values_list("title", "order", "amount")) == [
        ("Wireframes", 2, Decimal("0.00")),
        ("Shop pages", 7, Decimal("300.00")),
    ]


def test_the_edit_form_shows_a_milestones_own_amount_and_order(owner_client):
    milestone = MilestoneFactory(amount=Decimal("250.00"), order=3)

    html = owner_client.get(reverse("projects:edit", args=[milestone.project.pk])).content.decode()

    assert 'value="250.00"' in input_tag(html, "milestones-0-amount")
    assert 'value="3"' in input_tag(html, "milestones-0-order")
    assert "value=" not in input_tag(html, "milestones-1-amount")
