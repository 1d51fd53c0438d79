"""Who sees money: the Owner sees every amount; an Assistant sees health levels and schedule
words on every page, admin list and change page, export, email and the calendar, never an
amount, a share of money or a money chart. The pages are walked from the URLconf and the
admin's registry, so a page added later is walked too."""

import datetime
import io
import re
from decimal import Decimal
from http import HTTPStatus

import openpyxl
import pytest
from django.contrib import admin
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from common import policy
from dashboard.demo.freelancers import seed_freelancers
from dashboard.demo.projects import seed_projects
from freelancers.models import Freelancer
from freelancers.tests.factories import AccessGrantFactory, FreelancerFactory
from milestones import delivery, project_services, scan, tasks
from milestones.models import CalendarFeed, Milestone, Reminder
from outsourcing.tests.urls_walk import admin_url, named_routes
from projects.health import AMBER, without_money
from projects.models import Payment, Project
from projects.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)
CURRENCIES = "USD|EUR|GBP|INR|PHP|BRL|KES|MXN|CAD|AUD|UAH|PLN|VND|NGN|JPY"
MONEY = [
    re.compile(rf"\b(?:{CURRENCIES})\s?-?\d"),  # USD 1,200.00
    re.compile(r"(?<![\w.:-])\d[\d,]*\.\d\d(?![\d.])"),  # 1200.00 (a form's value, an export's cell)
    re.compile(r"(?:budget|contingency|spent|spending)\W+(?:\w+\W+){0,3}?\d+(?:\.\d+)?\s?%", re.I),
    re.compile(r"\d+(?:\.\d+)?\s?%\s(?:of\s)?(?:the\s)?(?:budget|contingency)", re.I),
]
# Attributes that hold numbers but never money: chart geometry, a number input's step and bounds.
NOT_MONEY_ATTRIBUTES = "d|points|x|y|x1|x2|y1|y2|cx|cy|r|width|height|viewBox|transform|step|min|max"
# What the Assistant must never meet either: the access grants, by the system given.
GRANT_SYSTEM = "Hosting control panel of shop.example.com"


def amounts_in(text):
    """Every piece of `text` that reads as money, chart geometry left out."""
    text = re.sub(rf'\s(?:{NOT_MONEY_ATTRIBUTES})="[^"]*"', "", text)
    return [match.group(0) for pattern in MONEY for match in pattern.finditer(text)]


@pytest.fixture
def business(owner, assistant):
    """A project the Assistant created (so they own it) that has gone 8% into its
    contingency, with access given for it now overdue for revocation, a milestone due
    tomorrow and a check-in within the day; its freelancer has an hourly rate."""
    assistant.is_staff = True
    assistant.save()
    today = timezone.localdate()
    freelancer = FreelancerFactory(name="Kofi Boateng", hourly_rate=Decimal("45.00"), currency="USD")
    project = project_services.create_project(
        project=Project(
            title="Newsletter templates",
            freelancer=freelancer,
            status=Project.Status.ACTIVE,
            start_on=today - 20 * DAY,
            due_on=today + 20 * DAY,
            budget=Decimal("1000.00"),
            budget_buffer_percent=Decimal("10"),
            currency="USD",
        ),
        milestones=[Milestone(title="First template", due_on=today + DAY, amount=Decimal("400.00"))],
        by=assistant,
        override_reason="Worked for us before the app.",
    )
    Payment.objects.create(project=project, amount=Decimal("1080.00"), paid_on=today - DAY)
    AccessGrantFactory(freelancer=freelancer, project=project, system=GRANT_SYSTEM, overdue=True)
    project.checkins.planned().update(scheduled_for=timezone.now() + 3 * datetime.timedelta(hours=1))
    return project


@pytest.fixture
def demo(owner, business):
    """The demo business around it: projects on track, at risk (one 108% spent) and in trouble,
    payments, reviews, vetted freelancers, check-ins held and planned."""
    seed_freelancers(owner=owner)
    seed_projects(owner=owner)
    return business


def walkable_urls(project):
    """Every page that takes nothing or the pk of a project, freelancer or check-in."""
    checkin = project.checkins.first()
    pks = {"projects": project.pk, "freelancers": project.freelancer_id, "milestones": checkin.pk}
    urls = []
    for name, keywords, positional in named_routes():
        namespace = name.partition(":")[0]
        if namespace == "admin" or positional:
            continue  # the admin is walked on its own
        if not keywords:
            urls.append(reverse(name))
        elif keywords == {"pk"} and namespace in pks:
            urls.append(reverse(name, kwargs={"pk": pks[namespace]}))
    return urls


def walk_pages(client, project):
    seen = {}
    for url in walkable_urls(project):
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code == HTTPStatus.OK and not response.streaming:
            seen[url] = response.content.decode()
    return seen


def admin_urls(client, user):
    """Every admin changelist, change page and history page the user may open."""
    urls = []
    for model, model_admin in admin.site._registry.items():
        urls.append(admin_url(model, "changelist"))
        obj = model_admin.get_queryset(client.request().wsgi_request).order_by("pk").last()
        if obj is not None:
            urls.append(admin_url(model, "change", obj.pk))
            urls.append(admin_url(model, "history", obj.pk))
    return urls


def walk_admin(client, user, project):
    seen = {}
    for url in admin_urls(client, user):
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code == HTTPStatus.OK:
            seen[url] = response.content.decode()
    # The Assistant's own project's change page, where the overspending is.
    url = reverse("admin:projects_project_change", args=[project.pk])
    seen[url] = client.get(url).content.decode()
    return seen


def exports(client):
    """Admin → Projects, Freelancers and Milestones → Export, as CSV and as XLSX, as text."""
    files = {}
    for model in (Project, Freelancer, Milestone):
        url = admin_url(model, "export")
        page = client.get(url)
        assert page.status_code == HTTPStatus.OK, url
        files[url] = page.content.decode()
        for index, kind in enumerate(["csv", "xlsx"]):
            # Every column the export form offers is ticked, as its select-all toggle does.
            columns = re.findall(r'name="([a-z]+resource[a-z]*_[a-z_]+)"', files[url], re.I)
            data = {"format": index, "resource": 0, **dict.fromkeys(columns, "on")}
            response = client.post(url, data)
            assert response.status_code == HTTPStatus.OK, (url, kind)
            files[f"{url} {kind}"] = spreadsheet_text(response.content, kind)
    return files


def spreadsheet_text(content, kind):
    if kind == "csv":
        return content.decode("utf-8-sig")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return "\n".join(",".join(format_cell(cell) for cell in row) for row in sheet.iter_rows(values_only=True))


def format_cell(value):
    # An XLSX keeps numbers as numbers: written out as money would be, to the cent.
    if isinstance(value, Decimal | float):
        return f"{value:.2f}"
    return "" if value is None else str(value)


def scanned_emails(to):
    """Every email the real scan and delivery send to `to`, as subject and both bodies."""
    tasks.scan_and_send()
    return {
        message.subject: message.subject + "\n" + message.body + "\n" + message.alternatives[0][0]
        for message in mail.outbox
        if message.to == [to]
    }


def calendar_feed(client, user):
    return client.get(CalendarFeed.rotate(user).get_absolute_url()).content.decode()


def leaks(documents):
    return {name: found for name, text in documents.items() if (found := amounts_in(text))}


# The policy itself


def test_the_owner_may_see_money_and_access_grants_and_an_assistant_neither(owner, assistant):
    assert policy.can_see_money(owner)
    assert policy.can_see_access_grants(owner)
    assert not policy.can_see_money(assistant)
    assert not policy.can_see_access_grants(assistant)


def test_a_deactivated_owner_sees_no_money(owner):
    owner.is_active = False
    owner.save()

    assert not policy.can_see_money(owner)


def test_health_without_money_keeps_the_level_and_drops_every_amount(business):
    business = Project.objects.with_details().get(pk=business.pk)
    assert business.budget_health.reason == "spent 108% of budget, 20% of contingency left"
    assert amounts_in(business.budget_health.reason)

    in_words = without_money(business.budget_health)

    assert in_words.level == AMBER
    assert in_words.reason == "the budget needs the owner's attention"
    assert amounts_in(in_words.reason) == []


# Walking everything as each role: the Owner meets the amounts (so the walk can fail), the
# Assistant meets none.


def test_every_page_shows_the_owner_amounts_and_an_assistant_none(client, owner, assistant, demo):
    detail = reverse("projects:detail", args=[demo.pk])
    client.force_login(owner)
    as_owner = walk_pages(client, demo)
    client.force_login(assistant)

    as_assistant = walk_pages(client, demo)

    checkin = demo.checkins.first()
    for url in (
        reverse("dashboard"),
        reverse("projects:list"),
        reverse("freelancers:list"),
        detail,
        reverse("projects:edit", args=[demo.pk]),
        reverse("freelancers:detail", args=[demo.freelancer_id]),
        reverse("milestones:record", args=[checkin.pk]),
    ):
        assert url in as_assistant, url
        assert url in as_owner, url
    assert {reverse("dashboard"), reverse("projects:list"), reverse("freelancers:list"), detail} <= set(
        leaks(as_owner)
    )
    assert "USD 1,080.00" in as_owner[detail]
    assert "spent 108% of budget" in as_owner[detail]
    assert GRANT_SYSTEM in as_owner[reverse("freelancers:detail", args=[demo.freelancer_id])]
    assert leaks(as_assistant) == {}
    assert "At risk" in as_assistant[detail]
    assert "the budget needs the owner&#x27;s attention" in as_assistant[detail]
    assert all(GRANT_SYSTEM not in page for page in as_assistant.values())


def test_every_admin_page_shows_the_owner_amounts_and_an_assistant_none(client, owner, assistant, demo):
    client.force_login(owner)
    as_owner = walk_admin(client, owner, demo)
    client.force_login(assistant)

    as_assistant = walk_admin(client, assistant, demo)

    found = leaks(as_owner)
    for model in (Project, Freelancer, Milestone, Payment):
        url = admin_url(model, "changelist")
        assert url in found, url
    project_page = reverse("admin:projects_project_change", args=[demo.pk])
    assert project_page in found
    assert {
        reverse("admin:projects_project_changelist"),
        reverse("admin:freelancers_freelancer_changelist"),
        reverse("admin:milestones_milestone_changelist"),
        project_page,
    } <= set(as_assistant)
    assert leaks(as_assistant) == {}
    assert all(GRANT_SYSTEM not in page for page in as_assistant.values())


PROJECT_MONEY = {"budget", "spent", "committed", "budget_buffer_percent", "budget_health_reason"}


def test_exports_carry_money_columns_for_the_owner_and_none_for_an_assistant(client, owner, assistant, demo):
    client.force_login(owner)
    as_owner = exports(client)
    client.force_login(assistant)

    as_assistant = exports(client)

    projects, freelancers = (
        reverse("admin:projects_project_export"),
        reverse("admin:freelancers_freelancer_export"),
    )
    for kind in ("csv", "xlsx"):
        assert header(as_owner[f"{projects} {kind}"]) >= PROJECT_MONEY
        assert "hourly_rate" in header(as_owner[f"{freelancers} {kind}"])
        assert not PROJECT_MONEY & header(as_assistant[f"{projects} {kind}"])
        assert "budget_health" in header(as_assistant[f"{projects} {kind}"])
        assert "hourly_rate" not in header(as_assistant[f"{freelancers} {kind}"])
        assert "Newsletter templates" in as_assistant[f"{projects} {kind}"]
    assert "1080.00" in as_owner[f"{projects} csv"]
    assert leaks(as_assistant) == {}


def header(text):
    return set(text.splitlines()[0].split(","))


def test_the_scan_emails_an_assistant_who_owns_a_project_no_money_and_no_grant(assistant, owner, demo):
    emails = scanned_emails(assistant.email)

    kinds = set(Reminder.objects.filter(user=assistant).values_list("kind", flat=True))
    assert Reminder.Kind.CHECKIN_UPCOMING in kinds
    assert Reminder.Kind.MILESTONE_DUE_SOON in kinds
    assert not kinds & {Reminder.Kind.BUDGET_ALERT, Reminder.Kind.ACCESS_TO_REVOKE}
    assert not Reminder.objects.filter(user=assistant, due_slot__startswith="contingency").exists()
    assert emails
    assert leaks(emails) == {}
    assert all(GRANT_SYSTEM not in text for text in emails.values())
    # The same scan told the Owner role about the Assistant's project's money and access.
    to_owner = [m.body for m in mail.outbox if m.to == [owner.email] and "Newsletter templates" in m.body]
    assert any("spent 108% of budget" in body for body in to_owner)
    assert any(GRANT_SYSTEM in body for body in to_owner)
    # 1,080.00 spent in its 20 days is forecast to pass the contingency (1,100.00) tomorrow.
    assert set(Reminder.objects.filter(project=demo, user=owner).values_list("kind", "due_slot")) >= {
        (Reminder.Kind.FORECAST_OVERRUN, f"contingency before {demo.due_on.isoformat()}"),
    }
    assert set(Reminder.objects.filter(project=demo, user=owner).values_list("kind", flat=True)) == {
        Reminder.Kind.BUDGET_ALERT,
        Reminder.Kind.ACCESS_TO_REVOKE,
        Reminder.Kind.FORECAST_OVERRUN,
    }


# The forecast: where a project is heading. The cost figures and the days the money runs out
# come from the payments, so they are money; SPI, the forecast finish and the schedule's words
# are not.


@pytest.fixture
def heading_over(assistant):
    """A project the Assistant owns, green today (625.00 of 1,000.00 spent) and forecast red on
    both counts: the contingency runs out 17 days before the due date, and at SPI 0.75 the
    work finishes 27 days after it, beyond its 3 days of leeway."""
    today = timezone.localdate()
    project = project_services.create_project(
        project=Project(
            title="Catalogue photos",
            freelancer=FreelancerFactory(name="Ines Duarte"),
            status=Project.Status.ACTIVE,
            start_on=today - 40 * DAY,
            due_on=today + 40 * DAY,
            schedule_buffer_days=3,
            budget=Decimal("1000.00"),
            budget_buffer_percent=Decimal("10"),
            currency="USD",
        ),
        milestones=[
            Milestone(
                title="Shot list", due_on=today - 20 * DAY, amount=Decimal("500.00"), status="approved"
            ),
            Milestone(title="Studio days", due_on=today + 40 * DAY, amount=Decimal("500.00")),
        ],
        by=assistant,
        override_reason="Worked for us before the app.",
    )
    Payment.objects.create(project=project, amount=Decimal("625.00"), paid_on=today - 10 * DAY)
    return project


def test_the_forecast_card_shows_the_owner_cost_and_an_assistant_only_the_schedule(
    client, owner, assistant, heading_over
):
    url = heading_over.get_absolute_url()
    client.force_login(owner)
    as_owner = client.get(url).text
    client.force_login(assistant)

    as_assistant = client.get(url).text

    card = as_owner.split('id="forecast"', 1)[1].split("</section>", 1)[0]
    for figure in ("Cost performance (CPI)", "0.80", "0.75", "USD 1,250.00", "Contingency runs out"):
        assert figure in card, figure
    assert "forecast to pass the contingency on" in card
    card = as_assistant.split('id="forecast"', 1)[1].split("</section>", 1)[0]
    assert "Schedule performance (SPI)" in card and "75%" in card
    assert "Forecast finish" in card and "27 days after the due date" in card
    for hidden in ("CPI", "EAC", "Contingency runs out", "Budget runs out", "pass the contingency", "paid"):
        assert hidden not in card, hidden
    assert amounts_in(as_assistant) == []


def test_the_forecast_overrun_emails_an_assistant_the_schedule_and_the_owner_role_the_money(
    assistant, owner, heading_over
):
    emails = scanned_emails(assistant.email)

    to_assistant = Reminder.objects.filter(user=assistant, kind=Reminder.Kind.FORECAST_OVERRUN)
    to_owner = Reminder.objects.filter(user=owner, kind=Reminder.Kind.FORECAST_OVERRUN)
    assert list(to_assistant.values_list("due_slot", flat=True)) == [
        f"finish after {heading_over.latest_acceptable_due_on.isoformat()}"
    ]
    assert list(to_owner.values_list("due_slot", flat=True)) == [
        f"contingency before {heading_over.due_on.isoformat()}"
    ]
    (finish,) = [text for subject, text in emails.items() if subject.startswith("Forecast")]
    assert "forecast to finish on" in finish and "75%" in finish
    assert leaks(emails) == {}
    (money,) = [m for m in mail.outbox if m.to == [owner.email] and m.subject.startswith("Forecast")]
    assert "USD 1,250.00" in money.body and "forecast to pass the contingency on" in money.body
    assert amounts_in(money.alternatives[0][0])


def test_a_forecast_about_money_to_someone_who_has_lost_the_right_to_see_it_is_not_sent(owner, heading_over):
    scan.scan(timezone.now())
    about_money = Reminder.objects.get(user=owner, kind=Reminder.Kind.FORECAST_OVERRUN)
    owner.groups.clear()

    assert not delivery.deliver(about_money.pk)
    assert not Reminder.objects.filter(pk=about_money.pk).exists()


def test_an_assistants_calendar_feed_carries_no_amount(client, assistant, business):
    feed = calendar_feed(client, assistant)

    assert "Newsletter templates" in feed
    assert amounts_in(feed) == []


def test_money_reminders_skip_owner_role_users_without_an_email(assistant, owner, business):
    owner.email = ""
    owner.save()
    other = UserFactory(username="ines")

    scan.scan(timezone.now())

    budget = Reminder.objects.filter(project=business, kind=Reminder.Kind.BUDGET_ALERT)
    assert set(budget.values_list("recipient", flat=True)) == {other.email}


def test_a_budget_alert_to_someone_who_has_lost_the_right_to_see_money_is_not_sent(owner, business):
    scan.scan(timezone.now())
    alert = Reminder.objects.filter(project=business, kind=Reminder.Kind.BUDGET_ALERT, user=owner).first()
    owner.groups.clear()

    sent = delivery.deliver(alert.pk)

    assert not sent
    assert not Reminder.objects.filter(pk=alert.pk).exists()
    assert not [message for message in mail.outbox if "Budget" in message.subject]


# The admin refuses filtering through what the user may not see


@pytest.mark.parametrize(
    ("model", "lookup"),
    [
        (Project, "payments__isnull=False"),
        (Project, "budget__gt=999"),
        (Project, "access_grants__isnull=False"),
        (Freelancer, "access_grants__isnull=False"),
        (Freelancer, "overdue_access_count__gt=0"),
        (Freelancer, "hourly_rate__gte=40"),
        (Milestone, "amount__gt=100"),
    ],
)
def test_an_assistant_cannot_filter_an_admin_list_through_money_or_grants(
    client, assistant, business, model, lookup
):
    assistant.is_staff = True
    assistant.save()
    client.force_login(assistant)
    url = admin_url(model, "changelist")

    response = client.get(f"{url}?{lookup}")

    assert response.status_code == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize(
    ("model", "lookup"),
    [
        (Project, "payments__isnull=False"),
        (Project, "access_grants__isnull=False"),
        (Freelancer, "overdue_access_count__gt=0"),
        (Freelancer, "hourly_rate__gte=40"),
    ],
)
def test_the_owner_filters_an_admin_list_through_money_and_grants(client, owner, business, model, lookup):
    client.force_login(owner)
    url = admin_url(model, "changelist")

    response = client.get(f"{url}?{lookup}")

    assert response.status_code == HTTPStatus.OK


def test_an_assistant_cannot_sort_freelancers_by_rate(client, assistant, business):
    client.force_login(assistant)
    by_name = client.get(reverse("freelancers:list")).context["page"].object_list

    by_rate = client.get(reverse("freelancers:list"), {"sort": "-rate"}).context["page"].object_list

    assert list(by_rate) == list(by_name)


# Editing without seeing


def test_an_assistant_editing_a_project_sees_no_budget_and_keeps_it(client, assistant, business):
    client.force_login(assistant)
    url = reverse("projects:edit", args=[business.pk])

    page = client.get(url).content.decode()

    assert amounts_in(page) == []
    assert policy.WITHHELD in page


def test_an_assistant_editing_a_freelancer_sees_no_rate_and_keeps_it(client, assistant, business):
    freelancer = business.freelancer
    rate = freelancer.hourly_rate
    assert rate
    client.force_login(assistant)
    url = reverse("freelancers:edit", args=[freelancer.pk])
    page = client.get(url)
    form = page.context["form"]
    data = {
        name: field.value()
        for name, field in ((n, form[n]) for n in form.fields)
        if field.value() is not None
    }
    data["skills"] = [skill.pk for skill in freelancer.skills.all()]
    data["notes"] = "Prefers mornings."

    response = client.post(url, data)

    assert amounts_in(page.content.decode()) == []
    assert response.status_code == HTTPStatus.FOUND
    freelancer.refresh_from_db()
    assert freelancer.hourly_rate == rate
    assert freelancer.notes == "Prefers mornings."
