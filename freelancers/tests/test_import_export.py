import datetime
import re
from decimal import Decimal
from http import HTTPStatus

import pytest
import tablib
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from import_export.formats.base_formats import CSV, XLSX

from freelancers.models import Freelancer, Reference, Skill
from freelancers.resources import FreelancerResource, ReferenceResource
from freelancers.tests.factories import FreelancerFactory, SkillFactory, vetted_freelancer

pytestmark = pytest.mark.django_db

HEADER = (
    "name,email,timezone,location,skills,hourly_rate,currency,source,status,do_not_hire,do_not_hire_reason\n"
)
ANA = (
    'Ana Souza,ana@example.com,America/Sao_Paulo,"São Paulo, Brazil","Copywriting, SEO",28.00,USD,Upwork,,,\n'
)
KWAME = "Kwame Mensah,kwame@example.com,Africa/Accra,Accra,WordPress,35,GBP,Referral,vetting,0,\n"


def csv(*rows):
    return CSV().create_dataset(HEADER + "".join(rows))


def import_freelancers(dataset):
    return FreelancerResource().import_data(dataset, dry_run=False, raise_errors=False)


def row_errors(result):
    """{row number: {field: [messages]}} for the rows refused by validation, or the first other error."""
    errors = {row.number: row.error_dict for row in result.invalid_rows}
    for number, row_errors in result.row_errors():
        errors[number] = {"error": [repr(error.error) for error in row_errors]}
    return errors


def test_a_csv_import_creates_freelancers_with_their_skills():
    SkillFactory(name="SEO")

    result = import_freelancers(csv(ANA, KWAME))

    assert not result.has_errors() and not result.has_validation_errors(), row_errors(result)
    ana = Freelancer.objects.get(email="ana@example.com")
    assert ana.name == "Ana Souza"
    assert ana.location == "São Paulo, Brazil"
    assert ana.hourly_rate == Decimal("28.00")
    assert ana.status == Freelancer.Status.PROSPECT  # blank status: the default
    assert sorted(ana.skills.values_list("name", flat=True)) == ["Copywriting", "SEO"]
    kwame = Freelancer.objects.get(email="kwame@example.com")
    assert (kwame.status, kwame.currency, kwame.do_not_hire) == ("vetting", "GBP", False)
    # "SEO" matched the existing skill; the other two were added once each.
    assert sorted(Skill.objects.values_list("name", flat=True)) == ["Copywriting", "SEO", "WordPress"]


def test_importing_the_same_sheet_again_updates_instead_of_duplicating():
    import_freelancers(csv(ANA, KWAME))

    result = import_freelancers(csv(ANA.replace("28.00", "31.50"), KWAME))

    assert not result.has_errors() and not result.has_validation_errors(), row_errors(result)
    assert Freelancer.objects.count() == 2
    assert Freelancer.objects.get(email="ana@example.com").hourly_rate == Decimal("31.50")
    assert result.totals["update"] == 1
    assert result.totals["skip"] == 1  # Kwame's row changed nothing


@pytest.mark.parametrize(
    ("bad_row", "field", "words"),
    [
        (
            "Ana Again,ANA@example.com,,,,,,,,,\n",
            "email",
            "Another freelancer already has this email address.",
        ),
        ("Lena Fischer,lena@example.com,,,,40,euro,,,,\n", "currency", "three-letter currency code"),
        ("Lena Fischer,lena@example.com,,,,40,,,hired,,\n", "status", "not a valid choice"),
        ("Lena Fischer,lena@example.com,,,,-5,,,,,\n", "hourly_rate", "cannot be negative"),
        ("Lena Fischer,lena@example.com,,,,forty,,,,,\n", "hourly_rate", "is not an amount"),
        ("Lena Fischer,lena@example.com,Berlin,,,,,,,,\n", "timezone", "not a time zone we know"),
        ("Lena Fischer,lena@example.com,,,,,,,,1,\n", "do_not_hire_reason", "Say why"),
        ("Lena Fischer,lena@example.com,,,,,,,approved,,\n", "status", "No interview is recorded."),
    ],
    ids=[
        "email-in-another-case",
        "currency",
        "status",
        "negative-rate",
        "rate-in-words",
        "timezone",
        "do-not-hire-without-reason",
        "approval-without-vetting",
    ],
)
def test_a_file_with_one_bad_row_reports_that_row_and_imports_nothing(bad_row, field, words):
    result = import_freelancers(csv(ANA, KWAME, bad_row))

    errors = row_errors(result)
    assert list(errors) == [3]
    assert words in " ".join(errors[3][field])
    assert Freelancer.objects.count() == 0
    assert Skill.objects.count() == 0  # the skills the good rows named are rolled back too


def test_an_import_cannot_approve_an_existing_freelancer_without_the_vetting():
    FreelancerFactory(email="lena@example.com", status=Freelancer.Status.TRIAL)

    result = import_freelancers(csv("Lena Fischer,lena@example.com,,,,,,,approved,,\n"))

    assert "No trial job is finished." in " ".join(row_errors(result)[1]["status"])
    assert Freelancer.objects.get(email="lena@example.com").status == Freelancer.Status.TRIAL


def test_an_import_approves_a_freelancer_whose_vetting_is_done():
    vetted_freelancer(email="lena@example.com")

    result = import_freelancers(csv("Lena Fischer,lena@example.com,,,,,,,approved,,\n"))

    assert not result.has_errors() and not result.has_validation_errors(), row_errors(result)
    assert Freelancer.objects.get(email="lena@example.com").status == Freelancer.Status.APPROVED


def test_an_xlsx_export_imports_back_unchanged():
    ana = FreelancerFactory(
        name="Ana Souza",
        email="ana@example.com",
        hourly_rate=Decimal("28.50"),
        currency="EUR",
        do_not_hire=True,
        do_not_hire_reason="Missed two deadlines.",
        notes="Line one\nLine two",
    )
    ana.skills.set([SkillFactory(name="SEO"), SkillFactory(name="Copywriting")])
    FreelancerFactory(email="kwame@example.com", hourly_rate=None)
    # As the admin exports to a binary format: numbers and booleans as themselves, not text.
    exported = XLSX().export_data(FreelancerResource().export(force_native_type=True))
    before = every_column_but_updated_at()
    Freelancer.objects.filter(email="ana@example.com").update(hourly_rate=Decimal("1.00"), notes="")

    result = import_freelancers(XLSX().create_dataset(exported))

    assert not result.has_errors() and not result.has_validation_errors(), row_errors(result)
    assert result.totals["update"] == 1 and result.totals["skip"] == 1
    assert every_column_but_updated_at() == before
    assert list(ana.skills.values_list("name", flat=True)) == ["Copywriting", "SEO"]


def every_column_but_updated_at():
    columns = [field.name for field in Freelancer._meta.concrete_fields if field.name != "updated_at"]
    return list(Freelancer.objects.order_by("pk").values(*columns))


def test_references_import_by_their_freelancers_email_in_any_case():
    ana = FreelancerFactory(email="ana@example.com")
    dataset = tablib.Dataset(
        headers=["freelancer", "name", "relationship", "contact", "contacted_on", "outcome"]
    )
    dataset.append(
        ["ANA@example.com", "Laura Jensen", "Former client", "laura@example.net", "2025-03-04", "positive"]
    )
    dataset.append(["ana@example.com", "Martin Okoro", "Agency", "+234 803 555 0142", "", ""])

    result = ReferenceResource().import_data(dataset, dry_run=False, raise_errors=False)

    assert not result.has_errors() and not result.has_validation_errors(), row_errors(result)
    laura = Reference.objects.get(name="Laura Jensen")
    assert (laura.freelancer, laura.outcome, laura.contacted_on) == (
        ana,
        Reference.Outcome.POSITIVE,
        datetime.date(2025, 3, 4),
    )
    assert Reference.objects.get(name="Martin Okoro").outcome == Reference.Outcome.NOT_CONTACTED


def test_a_reference_for_an_unknown_email_or_without_a_contact_date_imports_nothing():
    FreelancerFactory(email="ana@example.com")
    dataset = tablib.Dataset(headers=["freelancer", "name", "contact", "contacted_on", "outcome"])
    dataset.append(["ana@example.com", "Laura Jensen", "laura@example.net", "", "not_contacted"])
    dataset.append(["nobody@example.com", "Martin Okoro", "martin@example.net", "", ""])
    dataset.append(["ana@example.com", "Helen Brooks", "helen@example.net", "", "positive"])

    result = ReferenceResource().import_data(dataset, dry_run=False, raise_errors=False)

    errors = row_errors(result)
    assert errors[2]["freelancer"] == ["No freelancer has the email address “nobody@example.com”."]
    assert "Give the date you contacted them" in errors[3]["contacted_on"][0]
    assert Reference.objects.count() == 0


def upload(name, content, content_type="text/csv"):
    return SimpleUploadedFile(name, content.encode(), content_type=content_type)


def test_the_admin_import_previews_then_imports_a_csv(owner_client):
    url = reverse("admin:freelancers_freelancer_import")
    formats = [CSV, XLSX]

    preview = owner_client.post(
        url,
        {"resource": "0", "format": formats.index(CSV), "import_file": upload("people.csv", HEADER + ANA)},
    )

    assert preview.status_code == HTTPStatus.OK
    assert Freelancer.objects.count() == 0  # the preview is a dry run
    confirm = preview.context["confirm_form"]
    response = owner_client.post(reverse("admin:freelancers_freelancer_process_import"), confirm.initial)
    assert response.status_code == HTTPStatus.FOUND
    assert Freelancer.objects.get().email == "ana@example.com"


def test_the_admin_import_shows_the_bad_rows_and_offers_no_confirmation(owner_client):
    url = reverse("admin:freelancers_freelancer_import")
    bad = "Lena Fischer,lena@example.com,,,,,,,approved,,\n"

    response = owner_client.post(
        url,
        {
            "resource": "0",
            "format": [CSV, XLSX].index(CSV),
            "import_file": upload("people.csv", HEADER + bad),
        },
    )

    assert response.status_code == HTTPStatus.OK
    assert "confirm_form" not in response.context
    assert "No interview is recorded." in response.content.decode()
    assert Freelancer.objects.count() == 0


def test_the_admin_import_shows_each_error_in_sight_by_its_spreadsheet_line(owner_client):
    bad = "Lena Fischer,lena@example.com,,,,,,,approved,,\n"

    response = owner_client.post(
        reverse("admin:freelancers_freelancer_import"),
        {
            "resource": "0",
            "format": [CSV, XLSX].index(CSV),
            "import_file": upload("people.csv", HEADER + ANA + bad),
        },
    )

    row = re.compile(r"<tr>\s*<td>(\d+)</td>\s*<td class=\"import-row-errors\">(.*?)</td>", re.S)
    cells = row.findall(response.text)
    # The header is line 1 and Ana line 2, so Lena is on line 3 of the spreadsheet.
    assert [line for line, _ in cells] == ["3"]
    assert "No interview is recorded." in cells[0][1]
    # django-import-export shows what is inside this container only while the pointer is on the row.
    assert "validation-error-container" not in response.text


def test_importing_needs_the_rights_to_add_and_change_while_exporting_needs_only_viewing(outsider, client):
    outsider.is_staff = True
    outsider.save()
    outsider.user_permissions.add(Permission.objects.get(codename="view_freelancer"))
    client.force_login(outsider)

    assert client.get(reverse("admin:freelancers_freelancer_import")).status_code == HTTPStatus.FORBIDDEN
    assert client.get(reverse("admin:freelancers_freelancer_export")).status_code == HTTPStatus.OK
