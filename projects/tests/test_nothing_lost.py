"""Nothing a person wrote (notes, updates, payments) is deleted or rewritten as a side effect
of another edit: re-planning, replacing the freelancer, completing, archiving, removing a
milestone, the admin's actions and the spreadsheet imports. And a link emailed to the
freelancer keeps opening its check-in, and taking updates, after the owner re-plans."""

import datetime
import re
from decimal import Decimal
from http import HTTPStatus

import pytest
import tablib
from django.contrib.admin import helpers
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from freelancers.models import Freelancer, Reference
from freelancers.resources import FreelancerResource, ReferenceResource
from freelancers.tests.factories import FreelancerFactory
from milestones import project_services, tasks
from milestones import services as milestone_services
from milestones.models import CheckIn, Milestone, Reminder
from projects import services
from projects.models import Backup, Payment, Project, Review
from projects.tests.factories import BackupFactory, MilestoneFactory, PaymentFactory, ProjectFactory
from projects.tests.form_posts import fill_new_row, form_on, row_of, save_edit_page

pytestmark = pytest.mark.django_db

D = datetime.date
# Wednesday 18 June 2025, 12:00 in Berlin: the check-in before "Design" (due Friday 20 June)
# is tomorrow at 10:00, inside the 24 hours in which its reminder goes out.
NOW = datetime.datetime(2025, 6, 18, 10, 0, tzinfo=datetime.UTC)
UPDATE = {
    "progress": "Wireframes done, colours next.",
    "on_track": "amber",
    "questions": "Which logo file is the current one?",
    "blockers": "Waiting for the hosting login.",
}


@pytest.fixture(autouse=True)
def frozen(monkeypatch, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    cache.clear()  # the link's rate limit counts posts in the cache
    yield
    cache.clear()


@pytest.fixture
def ana():
    return FreelancerFactory(name="Ana Lima", email="ana@example.com")


@pytest.fixture
def project(owner, ana):
    """Active from 1 to 30 June, a check-in every 7 days, "Design" due 20 June:
    check-ins ahead on the 19th (before Design), the 22nd and the 29th."""
    project = ProjectFactory.build(
        owner=owner,
        freelancer=ana,
        title="Bakery website",
        start_on=D(2025, 6, 1),
        due_on=D(2025, 6, 30),
        checkin_every_days=7,
        budget=Decimal("400.00"),
    )
    design = MilestoneFactory.build(title="Design", due_on=D(2025, 6, 20), amount=Decimal("150.00"))
    return project_services.create_project(project=project, milestones=[design], by=owner)


def checkin_on(project, day):
    return project.checkins.get(scheduled_for__date=day)


def emailed_link(checkin):
    """Send the due reminders as the scan does and return the path of the link emailed to the freelancer."""
    tasks.scan_and_send()
    to_freelancer = [m for m in mail.outbox if m.to == [checkin.project.freelancer.email]]
    assert to_freelancer, "no reminder went to the freelancer"
    url = re.search(r"https?://\S+/checkin/\S+/", to_freelancer[-1].body).group(0)
    assert Reminder.objects.filter(target_id=checkin.pk, state=Reminder.State.SENT).exists()
    return "/" + url.split("/", 3)[3]


def post_update(link, **changes):
    return Client().post(link, {**UPDATE, **changes})


def move_milestone(title, day):
    def change(data):
        data[f"{row_of(data, 'milestones', title)}-due_on"] = day.isoformat()

    return change


# The story from the issue, through the real pages.


def test_moving_a_milestone_keeps_the_freelancers_update_and_the_emailed_link_keeps_working(
    owner_client, project
):
    before_design = checkin_on(project, D(2025, 6, 19))
    link = emailed_link(before_design)
    assert post_update(link).status_code == HTTPStatus.OK

    save_edit_page(owner_client, project, move_milestone("Design", D(2025, 6, 21)))

    moved = CheckIn.objects.get(pk=before_design.pk)
    assert timezone.localdate(moved.scheduled_for) == D(2025, 6, 20)
    assert timezone.localtime(moved.scheduled_for).time() == datetime.time(10, 0)
    assert moved.milestone.title == "Design"
    assert moved.freelancer_progress == UPDATE["progress"]
    assert moved.freelancer_questions == UPDATE["questions"]
    assert moved.freelancer_blockers == UPDATE["blockers"]
    page = Client().get(link)
    assert page.status_code == HTTPStatus.OK
    assert UPDATE["progress"] in page.text
    revised = post_update(link, progress="Colours done too.")
    assert revised.status_code == HTTPStatus.OK
    assert "Your update was updated" in revised.text
    assert CheckIn.objects.get(pk=before_design.pk).freelancer_progress == "Colours done too."
    assert project.checkins.filter(scheduled_for__date=D(2025, 6, 19)).count() == 0


def test_an_emailed_link_keeps_working_when_the_cadence_changes(owner_client, project):
    before_design = checkin_on(project, D(2025, 6, 19))
    link = emailed_link(before_design)

    def every_three_days(data):
        data["checkin_every_days"] = "3"

    save_edit_page(owner_client, project, every_three_days)

    assert CheckIn.objects.filter(pk=before_design.pk).exists()
    assert Client().get(link).status_code == HTTPStatus.OK
    assert post_update(link).status_code == HTTPStatus.OK
    assert CheckIn.objects.get(pk=before_design.pk).freelancer_progress == UPDATE["progress"]


def test_the_owners_notes_on_a_check_in_survive_a_re_plan(owner_client, project):
    # Notes typed on a check-in not held yet, e.g. in the admin, before the call.
    later = checkin_on(project, D(2025, 6, 22))
    later.next_steps = "Ask about the photo budget."
    later.save()

    def later_start(data):
        data["start_on"] = D(2025, 6, 3).isoformat()  # the cadence moves to the 24th, then 1 July is past due

    save_edit_page(owner_client, project, later_start)

    kept = CheckIn.objects.get(pk=later.pk)
    assert kept.next_steps == "Ask about the photo budget."
    assert timezone.localdate(kept.scheduled_for) == D(2025, 6, 24)


# Ending a project, archiving it, restoring it.


def with_an_update(project, day):
    checkin = checkin_on(project, day)
    milestone_services.post_freelancer_update(checkin=checkin, freelancer=project.freelancer, **UPDATE)
    return checkin


@pytest.mark.parametrize("status", [Project.Status.COMPLETED, Project.Status.CANCELLED])
def test_ending_a_project_keeps_check_ins_with_an_update_and_drops_the_blank_ones(owner, project, status):
    written = with_an_update(project, D(2025, 6, 22))

    project_services.change_status(project=project, status=status, by=owner)

    assert list(project.checkins.values_list("pk", flat=True)) == [written.pk]
    assert CheckIn.objects.get(pk=written.pk).freelancer_progress == UPDATE["progress"]


def test_completing_keeps_check_ins_with_writing_and_every_payment(owner_client, owner, project):
    written = with_an_update(project, D(2025, 6, 19))
    payment = PaymentFactory(project=project, amount=Decimal("120.00"), note="Deposit, bank transfer")
    design = project.milestones.get()
    project_services.set_milestone_status(milestone=design, status=Milestone.Status.APPROVED, by=owner)

    project_services.complete_project(project=project, review=None, by=owner)

    assert list(project.checkins.values_list("pk", flat=True)) == [written.pk]
    payment.refresh_from_db()
    assert (payment.amount, payment.note, payment.milestone) == (
        Decimal("120.00"),
        "Deposit, bank transfer",
        None,
    )


def test_an_archived_and_restored_project_keeps_the_update_and_the_link_opens_again(owner, project):
    before_design = checkin_on(project, D(2025, 6, 19))
    link = emailed_link(before_design)
    post_update(link)

    project_services.archive_project(project=project, by=owner)
    assert Client().get(link).status_code == HTTPStatus.FORBIDDEN  # closed while archived
    project_services.restore_project(project=project, by=owner)

    assert CheckIn.objects.get(pk=before_design.pk).freelancer_progress == UPDATE["progress"]
    assert Client().get(link).status_code == HTTPStatus.OK
    assert post_update(link, progress="Back at it.").status_code == HTTPStatus.OK
    assert project.checkins.filter(scheduled_for__date=D(2025, 6, 19)).count() == 1


def test_completing_keeps_the_do_not_hire_reason_written_before(owner, project, ana):
    ana.do_not_hire, ana.do_not_hire_reason = True, "Billed hours nobody worked, in May."
    ana.save()
    review = Review(
        quality=1,
        communication=2,
        timeliness=2,
        budget=1,
        would_rehire=Review.Rehire.NO,
        do_differently="Agree the hours first",
    )

    project_services.complete_project(
        project=project, review=review, by=owner, unfinished_note="Stopped early.", mark_do_not_hire=True
    )

    ana.refresh_from_db()
    assert ana.do_not_hire_reason == "Billed hours nobody worked, in May."


# Replacing the freelancer.


def test_replacing_keeps_the_new_freelancers_backup_note_in_the_history(owner, project):
    bo = FreelancerFactory(name="Bo")
    BackupFactory(project=project, freelancer=bo, note="Free from July, prefers email")
    written = with_an_update(project, D(2025, 6, 22))

    services.replace_freelancer(project=project, new=bo, reason="Ana moved away", by=owner)

    assert not Backup.objects.filter(project=project, freelancer=bo).exists()
    removal = Backup.history.get(freelancer=bo, history_type="-")
    assert removal.note == "Free from July, prefers email"
    assert removal.history_user == owner
    assert removal.history_change_reason == "Now the project's freelancer"
    assert CheckIn.objects.get(pk=written.pk).freelancer_progress == UPDATE["progress"]


# Removing a milestone on the edit page.


def test_removing_a_milestone_keeps_its_payments_and_its_check_in_with_an_update(
    owner_client, owner, project
):
    written = with_an_update(project, D(2025, 6, 19))
    design = project.milestones.get()
    payment = PaymentFactory(project=project, milestone=design, amount=Decimal("75.00"), note="Half up front")

    def remove_design(data):
        data[f"{row_of(data, 'milestones', 'Design')}-DELETE"] = "on"

    save_edit_page(owner_client, project, remove_design)

    assert not Milestone.objects.filter(pk=design.pk).exists()
    payment.refresh_from_db()
    assert (payment.amount, payment.note, payment.milestone) == (Decimal("75.00"), "Half up front", None)
    assert Project.objects.with_details().get(pk=project.pk).spent == Decimal("75.00")
    untied = payment.history.first()
    assert untied.history_user == owner
    assert untied.history_change_reason == "Milestone “Design” removed"
    kept = CheckIn.objects.get(pk=written.pk)
    assert kept.freelancer_progress == UPDATE["progress"]
    assert kept.milestone is None


def test_a_milestone_added_on_the_edit_page_keeps_the_check_ins_with_writing(owner_client, project):
    written = with_an_update(project, D(2025, 6, 22))

    def add_copy(data):
        fill_new_row(
            data, "milestones", title="Copy", due_on="2025-06-24", amount="50.00", status="planned", order="2"
        )

    save_edit_page(owner_client, project, add_copy)

    kept = CheckIn.objects.get(pk=written.pk)
    assert kept.freelancer_progress == UPDATE["progress"]
    assert timezone.localdate(kept.scheduled_for) == D(2025, 6, 22)


# The admin.


def test_the_admins_shift_action_moves_the_check_in_with_its_update_and_keeps_the_link(admin_client, project):
    before_design = checkin_on(project, D(2025, 6, 19))
    link = emailed_link(before_design)
    post_update(link)

    response = admin_client.post(
        reverse("admin:projects_project_changelist"),
        {
            "action": "shift_milestones",
            helpers.ACTION_CHECKBOX_NAME: [project.pk],
            "apply": "1",
            "days": "2",
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    moved = CheckIn.objects.get(pk=before_design.pk)
    assert timezone.localdate(moved.scheduled_for) == D(2025, 6, 21)
    assert moved.freelancer_progress == UPDATE["progress"]
    assert Client().get(link).status_code == HTTPStatus.OK


def test_moving_a_milestone_in_the_admin_moves_its_check_in_with_its_update(admin_client, project):
    written = with_an_update(project, D(2025, 6, 19))
    design = project.milestones.get()
    url = reverse("admin:milestones_milestone_change", args=[design.pk])
    data = form_on(admin_client.get(url).text, having="due_on")
    data["due_on"] = "2025-06-25"

    assert admin_client.post(url, data).status_code == HTTPStatus.FOUND

    moved = CheckIn.objects.get(pk=written.pk)
    assert timezone.localdate(moved.scheduled_for) == D(2025, 6, 24)
    assert moved.freelancer_progress == UPDATE["progress"]


def test_flagging_do_not_hire_in_bulk_keeps_the_reason_written_before(admin_client, ana):
    ana.do_not_hire, ana.do_not_hire_reason = True, "Billed hours nobody worked, in May."
    ana.save()
    bo = FreelancerFactory(name="Bo")

    response = admin_client.post(
        reverse("admin:freelancers_freelancer_changelist"),
        {
            "action": "flag_do_not_hire",
            helpers.ACTION_CHECKBOX_NAME: [ana.pk, bo.pk],
            "apply": "1",
            "reason": "Missed every deadline.",
        },
        follow=True,
    )

    ana.refresh_from_db()
    bo.refresh_from_db()
    assert ana.do_not_hire_reason == "Billed hours nobody worked, in May."
    assert (bo.do_not_hire, bo.do_not_hire_reason) == (True, "Missed every deadline.")
    assert "Flagged already, their reason is kept: Ana Lima." in response.text


# Spreadsheet imports.


def import_sheet(resource, headers, *rows):
    result = resource.import_data(tablib.Dataset(*rows, headers=headers), dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors(), [
        (row.number, row.error_dict) for row in result.invalid_rows
    ]


def test_a_blank_cell_in_a_freelancer_import_keeps_the_text_already_written(ana):
    ana.notes = "Met at the Lisbon meetup; strong on Shopify."
    ana.source = "Referral from Marta"
    ana.location = "Porto"
    ana.save()

    import_sheet(
        FreelancerResource(),
        ["name", "email", "notes", "source", "location", "phone"],
        ["Ana Lima", "ana@example.com", "", "", "", "+351 900 000 000"],
    )

    ana.refresh_from_db()
    assert ana.notes == "Met at the Lisbon meetup; strong on Shopify."
    assert ana.source == "Referral from Marta"
    assert ana.location == "Porto"
    assert ana.phone == "+351 900 000 000"  # a filled cell still changes the field
    assert Freelancer.objects.count() == 1


def test_a_blank_cell_in_a_reference_import_keeps_the_notes_already_written(ana):
    reference = Reference.objects.create(
        freelancer=ana, name="Marta", contact="marta@example.com", notes="Would hire her again."
    )

    import_sheet(
        ReferenceResource(),
        ["freelancer", "name", "contact", "notes", "relationship"],
        ["ana@example.com", "Marta", "", "", "Former client"],
    )

    reference.refresh_from_db()
    assert reference.notes == "Would hire her again."
    assert reference.contact == "marta@example.com"
    assert reference.relationship == "Former client"


def test_payments_survive_every_path_that_rewrites_a_project(owner, project):
    payment = PaymentFactory(project=project, amount=Decimal("60.00"), note="Logo sketches")

    project.checkin_every_days = 3
    project_services.update_project(project=project, by=owner)
    services.replace_freelancer(project=project, new=FreelancerFactory(), reason="Ana is ill", by=owner)
    project_services.archive_project(project=project, by=owner)
    project_services.restore_project(project=project, by=owner)
    project_services.change_status(project=project, status=Project.Status.CANCELLED, by=owner)

    assert list(Payment.objects.filter(project=project).values_list("pk", "amount", "note")) == [
        (payment.pk, Decimal("60.00"), "Logo sketches")
    ]
