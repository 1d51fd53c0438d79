"""Deliverables: files a freelancer delivers for a milestone, checked like work samples, stored
under a random name, downloaded only as attachments by people who may, accepted (the final one
approving its milestone) or sent back with a note that is emailed to the freelancer once."""

import datetime
from http import HTTPStatus

import pytest
from django.contrib.auth.context_processors import PermWrapper
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import ProtectedError
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from freelancers.forms import WorkSampleForm
from freelancers.tests.factories import FreelancerFactory
from milestones import delivery, project_services, tasks
from milestones.deliverables import (
    accept_deliverable,
    deliverables_for_project,
    receive_deliverable,
    send_back_deliverable,
)
from milestones.models import Deliverable, Milestone, Reminder
from milestones.tests import smtp
from projects.services import replace_freelancer
from projects.tests.factories import CheckInFactory, MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db

smtp_server = smtp.smtp_server
inbox = smtp.smtp_inbox

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
State = Deliverable.State
Channel = Deliverable.Channel


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def ana():
    return FreelancerFactory(name="Ana Lima", email="ana@example.com", timezone="Asia/Tokyo")


@pytest.fixture
def project(owner, ana):
    return ProjectFactory(owner=owner, freelancer=ana, title="Bakery website")


@pytest.fixture
def milestone(project):
    return MilestoneFactory(project=project, title="Design", status=Milestone.Status.IN_PROGRESS)


@pytest.fixture
def sent_ids(monkeypatch):
    """The reminder ids handed to the broker: enqueue is its boundary."""
    batches = []
    monkeypatch.setattr(tasks, "enqueue", batches.append)
    return batches


def received(milestone, *, name="wireframes.pdf", content=PDF, **fields):
    fields.setdefault("sender_email", "ana@example.com")
    fields.setdefault("channel", Channel.REPLY_EMAIL)
    fields.setdefault("freelancer", milestone.project.freelancer)
    return receive_deliverable(milestone=milestone, name=name, content=content, **fields)


def stored_files(media):
    return sorted(path.name for path in media.rglob("*") if path.is_file()) if media.exists() else []


def url(name, deliverable):
    return reverse(f"milestones:{name}", args=[deliverable.pk])


# What is received


def test_a_received_file_keeps_its_sent_name_and_is_stored_under_a_random_one(milestone, media, owner):
    first = received(milestone, name="../../etc/Wire frames.pdf")
    second = received(milestone, name="Wire frames.pdf")

    first.refresh_from_db()
    assert first.name == "Wire frames.pdf"
    assert (first.size, first.content_type) == (len(PDF), "application/pdf")
    assert (first.project, first.state, first.channel) == (
        milestone.project,
        State.RECEIVED,
        Channel.REPLY_EMAIL,
    )
    assert first.file.name.startswith("deliverables/") and first.file.name.endswith(".pdf")
    assert "Wire" not in first.file.name and ".." not in first.file.name
    assert first.file.name != second.file.name
    assert len(stored_files(media)) == 2
    assert first.file.read() == PDF


def test_an_html_page_named_pdf_is_refused_in_plain_words_and_nothing_is_stored(milestone, media):
    with pytest.raises(ValidationError) as refused:
        received(milestone, name="invoice.pdf", content=HTML)

    assert refused.value.message_dict["file"] == [
        "This file's content is not a PDF, PNG, JPEG, GIF, WebP, Word, Excel, PowerPoint, OpenDocument "
        "or ZIP file, whatever its name says."
    ]
    assert not Deliverable.objects.exists()
    assert stored_files(media) == []


def test_a_picture_named_as_a_pdf_is_refused_for_its_name(milestone):
    with pytest.raises(ValidationError) as refused:
        received(milestone, name="report.pdf", content=PNG)

    assert "named .pdf but its content is PNG" in refused.value.message_dict["file"][0]
    assert not Deliverable.objects.exists()


def test_a_file_over_the_upload_limit_is_refused(milestone, settings, media):
    settings.UPLOAD_MAX_BYTES = 1024

    with pytest.raises(ValidationError) as refused:
        received(milestone, content=PDF + b"%" * 1024)

    assert refused.value.message_dict["file"] == ["This file is 1.1\xa0KB; the limit is 1.0\xa0KB."]
    assert not Deliverable.objects.exists()
    assert stored_files(media) == []


def test_work_samples_and_deliverables_are_refused_by_the_one_rule(milestone, ana):
    form = WorkSampleForm(
        {"title": "Menu"},
        {"file": SimpleUploadedFile("menu.pdf", HTML, content_type="application/pdf")},
        instance=ana.samples.model(freelancer=ana),
    )
    with pytest.raises(ValidationError) as refused:
        received(milestone, name="menu.pdf", content=HTML)

    assert not form.is_valid()
    assert form.errors["file"] == refused.value.message_dict["file"]


def test_a_reply_to_a_checkin_without_a_milestone_is_kept_on_the_project(project):
    checkin = CheckInFactory(project=project)

    deliverable = receive_deliverable(
        milestone=None,
        checkin=checkin,
        name="logo.png",
        content=PNG,
        sender_email="ana@example.com",
        channel=Channel.REPLY_EMAIL,
    )

    assert (deliverable.project, deliverable.milestone, deliverable.checkin) == (project, None, checkin)
    assert list(checkin.deliverables.all()) == [deliverable]


# Downloading


def test_the_download_is_an_attachment_with_its_stored_type_and_nosniff(owner_client, milestone):
    deliverable = received(milestone, name="Wire frames é.pdf")

    response = owner_client.get(url("deliverable_download", deliverable))

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Wire%20frames%20%C3%A9.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


def test_downloading_a_deliverable_that_does_not_exist_or_lost_its_file_is_not_found(owner_client, milestone):
    deliverable = received(milestone)
    deliverable.file.storage.delete(deliverable.file.name)

    assert owner_client.get(url("deliverable_download", deliverable)).status_code == HTTPStatus.NOT_FOUND
    missing = reverse("milestones:deliverable_download", args=[deliverable.pk + 1])
    assert owner_client.get(missing).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("deliverable_download", "get"),
        ("deliverable_accept", "post"),
        ("deliverable_send_back", "get"),
        ("deliverable_send_back", "post"),
    ],
)
def test_someone_without_the_permission_is_refused_and_a_visitor_sent_to_log_in(
    client, outsider, milestone, name, method
):
    deliverable = received(milestone)
    path = url(name, deliverable)

    anonymous = getattr(client, method)(path, {"owner_note": "Redo it."} if method == "post" else None)
    client.force_login(outsider)
    refused = getattr(client, method)(path, {"owner_note": "Redo it."} if method == "post" else None)

    assert anonymous.status_code == HTTPStatus.FOUND
    assert anonymous["Location"].startswith(reverse("login"))
    assert refused.status_code == HTTPStatus.FORBIDDEN
    deliverable.refresh_from_db()
    assert (deliverable.state, deliverable.owner_note) == (State.RECEIVED, "")


# Accepting


def test_the_owner_accepts_a_file_and_the_project_page_is_next(owner_client, owner, milestone):
    deliverable = received(milestone)

    response = owner_client.post(url("deliverable_accept", deliverable), follow=False)

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == milestone.project.get_absolute_url() + "#deliverables"
    deliverable.refresh_from_db()
    assert (deliverable.state, deliverable.reviewed_by, deliverable.is_final) == (
        State.ACCEPTED,
        owner,
        False,
    )
    assert deliverable.reviewed_at is not None
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.IN_PROGRESS
    assert deliverable.history.first().history_user == owner


def test_a_file_is_decided_once_a_second_click_changes_nothing_and_says_so(owner_client, owner, milestone):
    deliverable = received(milestone)
    accept_deliverable(deliverable=deliverable, by=owner)

    response = owner_client.post(url("deliverable_accept", deliverable), follow=True)

    assert "“wireframes.pdf” was accepted already; nothing was changed." in response.text
    with pytest.raises(ValidationError):
        send_back_deliverable(deliverable=deliverable, note="Too late.", by=owner)
    deliverable.refresh_from_db()
    assert (deliverable.state, deliverable.owner_note) == (State.ACCEPTED, "")


def test_accepting_the_final_deliverable_approves_the_milestone(owner_client, owner, milestone):
    deliverable = received(milestone)

    response = owner_client.post(
        url("deliverable_accept", deliverable), {"approve_milestone": "1"}, follow=True
    )

    assert "“wireframes.pdf” was accepted and “Design” is approved." in response.text
    deliverable.refresh_from_db()
    milestone.refresh_from_db()
    assert (deliverable.state, deliverable.is_final) == (State.ACCEPTED, True)
    assert milestone.status == Milestone.Status.APPROVED
    assert milestone.history.first().history_user == owner


def test_a_milestone_already_approved_is_not_approved_again_and_the_file_stays_to_review(owner, milestone):
    deliverable = received(milestone)
    project_services.set_milestone_status(milestone=milestone, status=Milestone.Status.APPROVED, by=owner)

    with pytest.raises(ValidationError, match="is approved already; accept the file on its own"):
        accept_deliverable(deliverable=deliverable, by=owner, approve_milestone=True)

    deliverable.refresh_from_db()
    assert deliverable.state == State.RECEIVED


def test_approving_the_milestone_needs_the_right_to_change_milestones(client, django_user_model, milestone):
    from django.contrib.auth.models import Permission

    reviewer = django_user_model.objects.create_user("rita", "rita@example.com", "a-long-test-password")
    reviewer.user_permissions.set(
        Permission.objects.filter(content_type__app_label="milestones", codename__endswith="_deliverable")
    )
    client.force_login(reviewer)
    deliverable = received(milestone)

    refused = client.post(url("deliverable_accept", deliverable), {"approve_milestone": "1"})
    accepted = client.post(url("deliverable_accept", deliverable))

    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert accepted.status_code == HTTPStatus.FOUND
    deliverable.refresh_from_db()
    milestone.refresh_from_db()
    assert (deliverable.state, milestone.status) == (State.ACCEPTED, Milestone.Status.IN_PROGRESS)


def test_an_assistant_reviews_deliverables_as_they_do_checkins(assistant_client, milestone):
    deliverable = received(milestone)

    download = assistant_client.get(url("deliverable_download", deliverable))
    accept = assistant_client.post(url("deliverable_accept", deliverable), {"approve_milestone": "1"})

    assert (download.status_code, accept.status_code) == (HTTPStatus.OK, HTTPStatus.FOUND)
    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.APPROVED


# Sending back


def test_sending_back_needs_a_note_and_changes_nothing_without_one(owner_client, milestone, sent_ids):
    deliverable = received(milestone)

    response = owner_client.post(url("deliverable_send_back", deliverable), {"owner_note": "   "})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Say what needs to change before sending it back." in response.text
    deliverable.refresh_from_db()
    assert deliverable.state == State.RECEIVED
    assert not Reminder.objects.exists()
    assert sent_ids == []


def test_the_database_refuses_a_file_sent_back_without_a_note(owner, milestone):
    deliverable = received(milestone)
    deliverable.state, deliverable.reviewed_at = State.SENT_BACK, timezone.now()

    with pytest.raises(ValidationError) as refused:
        deliverable.full_clean()

    assert refused.value.message_dict["owner_note"] == ["Say what needs to change before sending it back."]


def test_sending_back_emails_the_note_to_the_freelancer_once(
    owner_client, owner, milestone, sent_ids, inbox, django_capture_on_commit_callbacks
):
    deliverable = received(milestone, received_at=datetime.datetime(2025, 6, 18, 8, 30, tzinfo=datetime.UTC))
    page = owner_client.get(url("deliverable_send_back", deliverable))
    assert "Your note is emailed to ana@example.com." in page.text

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            url("deliverable_send_back", deliverable),
            {"owner_note": "The logo is the old one.\nUse the file from May."},
            follow=True,
        )
    with django_capture_on_commit_callbacks(execute=True):
        again = owner_client.post(
            url("deliverable_send_back", deliverable), {"owner_note": "And the colours."}
        )

    assert "“wireframes.pdf” was sent back; your note is on its way to ana@example.com." in response.text
    assert again.status_code == HTTPStatus.BAD_REQUEST
    assert "was sent back already; nothing was changed." in again.text
    deliverable.refresh_from_db()
    assert (deliverable.state, deliverable.owner_note, deliverable.reviewed_by) == (
        State.SENT_BACK,
        "The logo is the old one.\nUse the file from May.",
        owner,
    )
    (notice,) = Reminder.objects.all()
    assert (notice.kind, notice.target, notice.recipient, notice.user) == (
        Reminder.Kind.DELIVERABLE_SENT_BACK,
        deliverable,
        "ana@example.com",
        None,
    )
    assert sent_ids == [[notice.pk]]

    # What the worker does with that id, twice (a message delivered twice): one email.
    assert delivery.deliver(notice.pk) is True
    assert delivery.deliver(notice.pk) is False
    (email,) = inbox.messages
    assert email.recipients == ("ana@example.com",)
    assert email.subject == "Changes needed to wireframes.pdf: Bakery website"
    for body in (email.text, email.html):
        assert "Hello Ana Lima," in body
        assert "Olivia" in body
        assert "for the milestone “Design”" in body
        assert "The logo is the old one." in body and "Use the file from May." in body
    # The time it arrived, on the freelancer's clock.
    assert "Wednesday 18 June, 17:30 JST" in email.text
    notice.refresh_from_db()
    assert notice.state == Reminder.State.SENT


def test_a_file_from_someone_no_longer_on_the_project_is_sent_back_without_an_email(
    owner_client, owner, project, milestone, sent_ids, django_capture_on_commit_callbacks
):
    deliverable = received(milestone)
    replace_freelancer(
        project=project,
        new=FreelancerFactory(name="Bo Chen"),
        reason="Moved away.",
        override_reason="Worked for us before.",
        by=owner,
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            url("deliverable_send_back", deliverable), {"owner_note": "Unfinished."}, follow=True
        )

    assert "Nobody was emailed" in response.text
    deliverable.refresh_from_db()
    assert deliverable.state == State.SENT_BACK
    assert not Reminder.objects.exists()
    assert sent_ids == []


def test_the_reminder_settings_do_not_offer_to_mute_a_note_the_owner_chose_to_send(owner_client):
    response = owner_client.get(reverse("milestones:reminder_preferences"))

    assert "Deliverable sent back" not in response.text


# The owner's upload


def test_the_owner_adds_a_file_received_another_way(owner_client, owner, project, milestone, ana):
    response = owner_client.post(
        reverse("milestones:deliverable_upload", args=[project.pk]),
        {
            "milestone": milestone.pk,
            "file": SimpleUploadedFile("final.pdf", PDF, content_type="text/html"),
            "is_final": "on",
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    (deliverable,) = Deliverable.objects.all()
    assert (deliverable.channel, deliverable.uploaded_by, deliverable.freelancer) == (
        Channel.OWNER_UPLOAD,
        owner,
        ana,
    )
    # The type is read from the bytes, not from what the browser said.
    assert (deliverable.content_type, deliverable.is_final, deliverable.milestone) == (
        "application/pdf",
        True,
        milestone,
    )


def test_an_uploaded_page_in_disguise_is_refused_beside_the_field(owner_client, project, milestone, media):
    response = owner_client.post(
        reverse("milestones:deliverable_upload", args=[project.pk]),
        {"milestone": milestone.pk, "file": SimpleUploadedFile("final.pdf", HTML)},
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "whatever its name says" in str(response.context["form"].errors["file"])
    assert not Deliverable.objects.exists()
    assert stored_files(media) == []


def test_a_file_is_added_only_to_one_of_the_projects_own_milestones(owner_client, project, milestone):
    elsewhere = MilestoneFactory()

    response = owner_client.post(
        reverse("milestones:deliverable_upload", args=[project.pk]),
        {"milestone": elsewhere.pk, "file": SimpleUploadedFile("final.pdf", PDF)},
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["milestone"] == ["Choose one of this project's milestones."]
    assert not Deliverable.objects.exists()


# Where they show


def add_deliverables(milestone, count, **fields):
    checkin = CheckInFactory(project=milestone.project, milestone=milestone)
    start = timezone.now() - datetime.timedelta(days=count)
    for n in range(count):
        received(
            milestone,
            name=f"draft {n}.pdf",
            received_at=start + datetime.timedelta(hours=n),
            checkin=checkin,
            uploaded_by=fields.get("uploaded_by"),
        )


@pytest.mark.parametrize("count", [3, 30])
def test_the_project_list_of_deliverables_costs_one_query_whatever_their_number(
    owner, milestone, count, django_assert_num_queries, rf
):
    add_deliverables(milestone, count, uploaded_by=owner)
    other = MilestoneFactory(project=milestone.project)
    received(other, name="newest.png", content=PNG)
    request = rf.get("/")
    request.user = owner
    perms = PermWrapper(owner)
    owner.has_perm("milestones.view_deliverable")  # the permissions are read once per request

    # 1. the newest ten with their milestone, freelancer, uploader and reviewer, and the count of all
    with django_assert_num_queries(1):
        listed = deliverables_for_project(milestone.project)
        html = render_to_string(
            "milestones/_deliverables.html",
            {**listed, "project": milestone.project, "perms": perms, "here": "/"},
        )

    assert [d.name for d in listed["deliverables"][:2]] == ["newest.png", f"draft {count - 1}.pdf"]
    assert len(listed["deliverables"]) == min(count + 1, 10)
    assert listed["total"] == count + 1
    assert listed["more"] == max(count + 1 - 10, 0)
    assert ("older file" in html) == (count + 1 > 10)
    assert "Accept and approve the milestone" in html


def test_the_list_page_shows_every_deliverable_a_page_at_a_time(owner_client, milestone):
    add_deliverables(milestone, 30)

    response = owner_client.get(reverse("milestones:deliverable_list", args=[milestone.project.pk]))

    assert response.status_code == HTTPStatus.OK
    assert "draft 29.pdf" in response.text and "draft 4.pdf" not in response.text
    assert "Page 1 of 2" in response.text


# Nothing is deleted by a side effect


def test_removing_the_milestone_or_the_checkin_keeps_the_file_on_the_project(
    owner, project, milestone, media
):
    checkin = CheckInFactory(project=project, milestone=milestone)
    deliverable = received(milestone, checkin=checkin)

    project_services.save_milestones(project=project, removed=[milestone], by=owner)
    checkin.delete()

    deliverable.refresh_from_db()
    assert (deliverable.project, deliverable.milestone, deliverable.checkin) == (project, None, None)
    assert deliverable.file.read() == PDF
    assert len(stored_files(media)) == 1


def test_a_project_with_deliverables_cannot_be_deleted_and_a_deleted_freelancer_leaves_the_address(
    project, milestone, ana
):
    deliverable = received(milestone)

    with pytest.raises(ProtectedError):
        project.delete()
    project.freelancer = None
    project.save(update_fields=["freelancer"])
    ana.delete()

    deliverable.refresh_from_db()
    assert (deliverable.freelancer, deliverable.sender, deliverable.sender_email) == (
        None,
        "ana@example.com",
        "ana@example.com",
    )


# The admin


def test_the_admin_lists_filters_and_finds_deliverables_and_offers_no_edit(admin_client, milestone):
    deliverable = received(milestone)
    changelist = reverse("admin:milestones_deliverable_changelist")

    listed = admin_client.get(changelist, {"state__exact": "received", "channel__exact": "reply_email"})
    found = admin_client.get(changelist, {"q": "wirefr"})
    missed = admin_client.get(changelist, {"q": "invoice"})
    page = admin_client.get(reverse("admin:milestones_deliverable_change", args=[deliverable.pk]))

    assert listed.status_code == found.status_code == page.status_code == HTTPStatus.OK
    assert "wireframes.pdf" in listed.text and "wireframes.pdf" in found.text
    assert "wireframes.pdf" not in missed.text
    assert url("deliverable_download", deliverable) in page.text
    assert admin_client.get(reverse("admin:milestones_deliverable_add")).status_code == HTTPStatus.FORBIDDEN


def test_the_project_list_and_the_admin_read_deliverables_newest_first_from_an_index(milestone):
    add_deliverables(milestone, 3)
    for _ in range(3):  # other projects' files, which the project's list must not read through
        add_deliverables(MilestoneFactory(), 10)
    with CaptureQueriesContext(connection) as queries:
        deliverables_for_project(milestone.project)
    (listed,) = [query["sql"] for query in queries]
    admin_order = str(Deliverable.objects.order_by("-received_at", "-pk")[:50].query)

    assert "deliverable_project_idx" in plan(listed)
    assert "deliverable_received_idx" in plan(admin_order)


def plan(sql):
    """PostgreSQL's plan for `sql` with sequential scans and sorts priced out: an index shows
    up only if it can serve the query (a test table is small enough to be scanned otherwise)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE milestones_deliverable")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())
