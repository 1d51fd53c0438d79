"""A reply to a reminder becomes the update on its check-in; its attachments, deliverables.

These tests hand messages to milestones.inbound.receive(), the path both ways in share (the
SMTP receiver: test_receive_mail.py; the ESPs' webhooks: test_inbound_webhooks.py), and
check the reply address the reminders carry, and the held replies page.
"""

import datetime
import threading
import time
from http import HTTPStatus
from types import SimpleNamespace

import pytest
from anymail.inbound import AnymailInboundMessage
from django.core import mail, signing
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from milestones import delivery, emails, inbound, scan
from milestones.models import CheckIn, Deliverable, EmailReply, Reminder
from milestones.reply_address import LOCAL_PART_LIMIT, read_reply_address, reply_address
from milestones.tests import replies
from milestones.tests.replies import (
    DISGUISED_HTML,
    PDF,
    checkin_to_reply_to,
    freelancer_address,
    reply_message,
)
from projects.models import Project
from projects.tests.factories import CheckInFactory, ProjectFactory

DONE = "Done with the outline, question: who signs off?"


def receive(raw, **kwargs):
    return inbound.receive(AnymailInboundMessage.parse_raw_mime_bytes(raw), via="test", **kwargs)


def freelancer_reply(checkin, **kwargs):
    kwargs.setdefault("text", DONE)
    return reply_message(to=freelancer_address(checkin), sender=checkin.project.freelancer.email, **kwargs)


@pytest.fixture
def checkin(db):
    return checkin_to_reply_to()


# The reply address.


def test_a_reply_address_names_one_checkin_and_its_recipient(checkin):
    address = freelancer_address(checkin)
    local, domain = address.split("@")
    assert domain == "localhost"
    assert local.startswith("reply+") and local == local.lower()
    reply_to = read_reply_address(address)
    assert (reply_to.checkin_id, reply_to.recipient_id, reply_to.from_owner) == (
        checkin.pk,
        checkin.project.freelancer.pk,
        False,
    )
    owner = read_reply_address(replies.owner_address(checkin))
    assert (owner.recipient_id, owner.from_owner) == (checkin.project.owner.pk, True)


def test_a_reply_address_still_works_after_a_mail_system_changed_its_case(checkin):
    assert read_reply_address(freelancer_address(checkin).upper()).checkin_id == checkin.pk


def test_a_reply_address_fits_the_64_characters_of_a_local_part_with_large_ids(settings):
    settings.REPLY_ADDRESS = "r" * 20
    largest = SimpleNamespace(pk=36**7 - 1)  # 78 billion
    address = reply_address(largest, user=largest, now=4_000_000_000)  # the year 2096
    assert len(address.split("@")[0]) <= LOCAL_PART_LIMIT


@pytest.mark.parametrize(
    "change",
    [
        lambda token: token[:-1] + ("a" if token[-1] != "a" else "b"),  # the signature
        lambda token: token.replace("-", "-1", 1),  # the recipient
        lambda token: "o" + token[1:],  # the kind of recipient
        lambda token: token.rsplit("-", 1)[0],  # no signature
    ],
)
def test_a_tampered_reply_address_is_refused(checkin, change):
    local, domain = freelancer_address(checkin).split("@")
    prefix, token = local.split("+")
    with pytest.raises(signing.BadSignature):
        read_reply_address(f"{prefix}+{change(token)}@{domain}")


def test_a_reply_address_signed_with_another_secret_is_refused(checkin, settings):
    address = freelancer_address(checkin)
    settings.SECRET_KEY = "another-secret-key-of-another-installation-entirely"
    with pytest.raises(signing.BadSignature):
        read_reply_address(address)


def test_a_reply_address_signed_with_a_rotated_secret_still_works(checkin, settings):
    address = freelancer_address(checkin)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "the-new-secret-key-after-rotation-of-the-old-one"
    assert read_reply_address(address).checkin_id == checkin.pk


def test_a_reply_address_expires_with_the_checkin_link(checkin, settings):
    made = time.time() - settings.CHECKIN_LINK_MAX_AGE * 24 * 3600
    assert read_reply_address(freelancer_address(checkin, now=made + 60)).checkin_id == checkin.pk
    with pytest.raises(signing.SignatureExpired):
        read_reply_address(freelancer_address(checkin, now=made - 60))


# The reminders carry it.


def sent_reminder(kind, **filters):
    reminder = Reminder.objects.select_related("project__freelancer", "user").get(kind=kind, **filters)
    return emails.reminder(reminder)


def test_the_freelancers_checkin_reminder_can_be_answered_by_replying(checkin):
    scan.scan()
    message = sent_reminder(Reminder.Kind.CHECKIN_UPCOMING, user=None)
    (reply_to,) = message.reply_to
    assert read_reply_address(reply_to).recipient_id == checkin.project.freelancer.pk
    line = (
        "Or just reply to this email: your reply becomes your update, "
        "and the files you attach reach the owner."
    )
    assert line in message.body
    assert line in message.alternatives[0].content


def test_the_owners_checkin_reminders_can_be_answered_by_replying(checkin):
    checkin.scheduled_for = timezone.now() - datetime.timedelta(hours=1)
    checkin.save()
    scan.scan()
    for message in (sent_reminder(Reminder.Kind.CHECKIN_MISSED),):
        (reply_to,) = message.reply_to
        owner = read_reply_address(reply_to)
        assert (owner.checkin_id, owner.recipient_id, owner.from_owner) == (
            checkin.pk,
            checkin.project.owner.pk,
            True,
        )
        line = "Or reply to this email with your notes: they are recorded as this check-in, held today."
        assert line in message.body
        assert line in message.alternatives[0].content


def test_the_gone_quiet_reminder_answers_on_the_checkin_the_owner_would_record(db):
    project = ProjectFactory(start_on=timezone.localdate() - datetime.timedelta(days=30))
    overdue = CheckInFactory(project=project, scheduled_for=timezone.now() - datetime.timedelta(days=2))
    CheckInFactory(project=project, scheduled_for=timezone.now() + datetime.timedelta(days=5))
    scan.scan()
    message = sent_reminder(Reminder.Kind.GONE_QUIET)
    assert read_reply_address(message.reply_to[0]).checkin_id == overdue.pk
    assert "reply to this email with your notes" in message.body


def test_a_reminder_that_asks_for_no_update_has_no_reply_address(db):
    project = ProjectFactory(due_on=timezone.localdate() + datetime.timedelta(days=1))
    replies.MilestoneFactory(project=project, due_on=timezone.localdate() + datetime.timedelta(days=1))
    scan.scan()
    message = sent_reminder(Reminder.Kind.MILESTONE_DUE_SOON)
    assert message.reply_to == []
    assert "reply to this email" not in message.body


def test_a_reminder_sent_for_real_carries_the_reply_to_header(checkin, mailoutbox):
    scan.scan()
    reminder = Reminder.objects.get(kind=Reminder.Kind.CHECKIN_UPCOMING, user=None)
    assert delivery.deliver(reminder.pk)
    (sent,) = [message for message in mailoutbox if message.to == [checkin.project.freelancer.email]]
    assert sent.message()["Reply-To"] == sent.reply_to[0]


# What a reply does.


def test_a_plain_reply_is_the_freelancers_unread_update_and_the_owner_hears_once(
    checkin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        outcome = receive(freelancer_reply(checkin, text=replies.gmail_text(DONE)))
    assert (outcome.result, outcome.checkin_id) == (inbound.STORED, checkin.pk)
    checkin.refresh_from_db()
    assert checkin.freelancer_progress == DONE
    assert checkin.freelancer_on_track == ""
    assert checkin.freelancer_updated_at is not None and checkin.update_read_at is None
    (owner_email,) = mail.outbox
    assert owner_email.to == [checkin.project.owner.email]
    assert DONE in owner_email.body and "On track: Not said" in owner_email.body
    reply = EmailReply.objects.get()
    assert (reply.state, reply.text, reply.freelancer, reply.raw) == (
        EmailReply.State.STORED,
        DONE,
        checkin.project.freelancer,
        b"",
    )


def test_the_fields_a_reply_names_are_stored_as_those_fields(checkin):
    text = (
        "Sent the first draft to the shared folder.\n"
        "On track: amber\n"
        "Questions: who signs off?\nAnd by when?\n"
        "Blocked by: the hosting login"
    )
    receive(freelancer_reply(checkin, text=text))
    checkin.refresh_from_db()
    assert checkin.freelancer_progress == "Sent the first draft to the shared folder."
    assert checkin.freelancer_on_track == "amber"
    assert checkin.freelancer_questions == "who signs off?\nAnd by when?"
    assert checkin.freelancer_blockers == "the hosting login"


QUOTED = {
    "gmail text": {"text": replies.gmail_text},
    "outlook text": {"text": replies.outlook_text},
    "apple mail text": {"text": replies.apple_text},
    "gmail html only": {"html": replies.gmail_html},
    "outlook html only": {"html": replies.outlook_html},
    "apple mail html only": {"html": replies.apple_html},
}


@pytest.mark.parametrize("client", QUOTED)
def test_only_what_was_written_above_the_quoted_reminder_is_stored(checkin, client):
    (part, quote), *_ = QUOTED[client].items()
    written = "Done with the outline.\n\n- sent the draft\n- booked the call"
    if part == "html":
        written = "Done with the outline.<br><br>- sent the draft<br>- booked the call"
    raw = freelancer_reply(checkin, **{"text": None, part: quote(written)})
    assert receive(raw).result == inbound.STORED
    checkin.refresh_from_db()
    assert checkin.freelancer_progress == "Done with the outline.\n\n- sent the draft\n- booked the call"


def test_a_signature_is_left_out(checkin):
    receive(
        freelancer_reply(
            checkin, text=replies.gmail_text(f"{DONE}\n\nBest regards,\nAna Lima\n+351 912 000 000")
        )
    )
    checkin.refresh_from_db()
    assert checkin.freelancer_progress == DONE


def test_a_pdf_attached_is_a_deliverable_of_the_checkins_milestone(checkin):
    outcome = receive(freelancer_reply(checkin, attachments=[("outline.pdf", PDF, "application/pdf")]))
    assert outcome.result == inbound.STORED
    deliverable = Deliverable.objects.get()
    assert (deliverable.name, deliverable.milestone, deliverable.checkin, deliverable.freelancer) == (
        "outline.pdf",
        checkin.milestone,
        checkin,
        checkin.project.freelancer,
    )
    assert deliverable.channel == Deliverable.Channel.REPLY_EMAIL
    assert deliverable.sender_email == checkin.project.freelancer.email
    assert deliverable.file.read() == PDF
    assert "outline.pdf" in outcome.reason


def test_a_disguised_web_page_is_refused_and_the_update_is_kept(checkin):
    outcome = receive(
        freelancer_reply(
            checkin,
            attachments=[
                ("invoice.pdf", DISGUISED_HTML, "application/pdf"),
                ("outline.pdf", PDF, "application/pdf"),
            ],
        )
    )
    assert outcome.result == inbound.STORED
    assert "“invoice.pdf” was refused" in outcome.reason
    assert list(Deliverable.objects.values_list("name", flat=True)) == ["outline.pdf"]
    checkin.refresh_from_db()
    assert checkin.freelancer_progress == DONE
    assert "invoice.pdf" in EmailReply.objects.get().reason


def test_a_file_for_a_checkin_without_a_milestone_is_the_projects(checkin):
    checkin.milestone = None
    checkin.save()
    receive(freelancer_reply(checkin, attachments=[("outline.pdf", PDF, "application/pdf")]))
    deliverable = Deliverable.objects.get()
    assert (deliverable.project, deliverable.milestone, deliverable.checkin) == (
        checkin.project,
        None,
        checkin,
    )


def test_files_without_a_word_are_stored_without_an_update(checkin):
    outcome = receive(
        freelancer_reply(checkin, text="", attachments=[("outline.pdf", PDF, "application/pdf")])
    )
    assert outcome.result == inbound.STORED
    assert Deliverable.objects.count() == 1
    checkin.refresh_from_db()
    assert checkin.freelancer_updated_at is None


def test_nothing_is_stored_half_when_a_file_cannot_be_written(checkin, settings, tmp_path):
    (tmp_path / "a-file").write_text("")
    settings.MEDIA_ROOT = str(tmp_path / "a-file" / "media")  # no folder can be made under a file
    with pytest.raises(OSError):
        receive(freelancer_reply(checkin, attachments=[("outline.pdf", PDF, "application/pdf")]))
    checkin.refresh_from_db()
    assert checkin.freelancer_updated_at is None
    assert not EmailReply.objects.exists() and not Deliverable.objects.exists()
    settings.MEDIA_ROOT = str(tmp_path / "media")
    assert receive(freelancer_reply(checkin)).result == inbound.STORED  # the same message, again


def test_a_reply_from_the_address_in_other_case_and_spacing_is_the_freelancers(checkin):
    sender = f"  {checkin.project.freelancer.email.upper()} "
    raw = reply_message(to=freelancer_address(checkin), sender=f"Ana <{sender.strip()}>", text=DONE)
    assert receive(raw).result == inbound.STORED


def test_the_same_message_twice_stores_one_update(checkin, django_capture_on_commit_callbacks):
    raw = freelancer_reply(checkin, attachments=[("outline.pdf", PDF, "application/pdf")])
    with django_capture_on_commit_callbacks(execute=True):
        first, second = receive(raw), receive(raw)
    assert (first.result, second.result) == (inbound.STORED, inbound.IGNORED)
    assert second.reason == "this message was received already"
    assert EmailReply.objects.count() == Deliverable.objects.count() == len(mail.outbox) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two writers at once need a server database")
def test_the_same_message_delivered_twice_at_once_stores_one_update(transactional_db):
    checkin = checkin_to_reply_to()
    raw = freelancer_reply(checkin, attachments=[("outline.pdf", PDF, "application/pdf")])
    start = threading.Barrier(2)
    outcomes = []

    def deliver():
        try:
            start.wait()
            outcomes.append(receive(raw).result)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [inbound.IGNORED, inbound.STORED]
    assert EmailReply.objects.count() == Deliverable.objects.count() == 1
    assert CheckIn.history.filter(id=checkin.pk, history_change_reason__startswith="Update from").count() == 1


# What a reply never does.


def test_an_owners_reply_is_their_note_and_the_checkin_is_held(checkin):
    text = replies.outlook_text(
        "Spoke with Ana, all fine.\nOn track: green\nNext steps: send the draft Friday"
    )
    raw = reply_message(to=replies.owner_address(checkin), sender=checkin.project.owner.email, text=text)
    assert receive(raw).result == inbound.STORED
    checkin.refresh_from_db()
    assert checkin.held_on == timezone.localdate()
    assert (checkin.progress_note, checkin.on_track, checkin.next_steps) == (
        "Spoke with Ana, all fine.",
        "green",
        "send the draft Friday",
    )
    assert checkin.freelancer_updated_at is None
    assert EmailReply.objects.get().owner == checkin.project.owner


def test_an_owners_reply_with_nothing_written_changes_nothing(checkin):
    raw = reply_message(
        to=replies.owner_address(checkin), sender=checkin.project.owner.email, text=replies.gmail_text("")
    )
    outcome = receive(raw)
    assert (outcome.result, outcome.reason) == (
        inbound.IGNORED,
        "nothing was written above the quoted message",
    )
    checkin.refresh_from_db()
    assert checkin.held_on is None


def tampered(address):
    local, domain = address.split("@")
    return f"{local[:-1]}{'a' if local[-1] != 'a' else 'b'}@{domain}"


def expired(checkin):
    return freelancer_address(checkin, now=time.time() - 15 * 24 * 3600)  # links last 14 days


REFUSALS = {
    "not a reply address": (lambda checkin: "hands@localhost", "not sent to a reply address"),
    "another domain": (
        lambda checkin: freelancer_address(checkin).replace("@localhost", "@elsewhere.test"),
        "",
    ),
    "tampered": (lambda checkin: tampered(freelancer_address(checkin)), "signature does not match"),
    "expired": (expired, "the reply address has expired"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_reply_to_an_address_that_does_not_work_is_refused(checkin, case):
    address, reason = REFUSALS[case]
    outcome = receive(reply_message(to=address(checkin), sender=checkin.project.freelancer.email, text=DONE))
    assert outcome.result == inbound.REFUSED
    assert reason in outcome.reason
    checkin.refresh_from_db()
    assert checkin.freelancer_updated_at is None and not EmailReply.objects.exists()


def test_a_reply_address_of_another_freelancer_is_refused(checkin):
    other = checkin_to_reply_to()
    foreign = reply_address(checkin, freelancer=other.project.freelancer)
    outcome = receive(reply_message(to=foreign, sender=other.project.freelancer.email, text=DONE))
    assert (outcome.result, outcome.reason) == (inbound.REFUSED, inbound.CLOSED)


@pytest.mark.parametrize(
    "close",
    [
        lambda checkin: CheckIn.objects.filter(pk=checkin.pk).update(held_on=timezone.localdate()),
        lambda checkin: Project.objects.filter(pk=checkin.project_id).update(status=Project.Status.COMPLETED),
        lambda checkin: Project.objects.filter(pk=checkin.project_id).update(freelancer=None),
    ],
    ids=["held", "project completed", "freelancer replaced"],
)
def test_a_reply_on_a_closed_checkin_is_refused(checkin, close):
    raw = freelancer_reply(checkin)
    close(checkin)
    outcome = receive(raw)
    assert (outcome.result, outcome.reason) == (inbound.REFUSED, inbound.CLOSED)
    assert not EmailReply.objects.exists()


def test_a_message_over_the_size_limit_is_refused(checkin, settings):
    settings.INBOUND_MAIL_MAX_BYTES = 50_000
    raw = freelancer_reply(checkin, attachments=[("big.pdf", PDF + b"0" * 60_000, "application/pdf")])
    outcome = receive(raw)
    assert (outcome.result, outcome.reason) == (inbound.REFUSED, "larger than the limit of 48.8\xa0KB")
    assert not Deliverable.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Auto-Submitted": "auto-generated; type=vacation"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"Precedence": "list"},
        {"Precedence": "auto_reply"},
        {"X-Autoreply": "yes"},
        {"Return-Path": "<>"},
    ],
    ids=str,
)
def test_an_automatic_reply_or_bounce_is_ignored(checkin, headers):
    outcome = receive(freelancer_reply(checkin, text="I am out of the office until Monday.", headers=headers))
    assert outcome.result == inbound.IGNORED
    assert outcome.reason.startswith("sent automatically")
    checkin.refresh_from_db()
    assert checkin.freelancer_updated_at is None


def test_a_reply_marked_as_written_by_a_person_is_stored(checkin):
    assert receive(freelancer_reply(checkin, headers={"Auto-Submitted": "no"})).result == inbound.STORED


def test_an_empty_reply_is_ignored(checkin):
    outcome = receive(freelancer_reply(checkin, text=replies.apple_text("")))
    assert outcome.result == inbound.IGNORED
    assert not EmailReply.objects.exists()


def test_each_outcome_is_logged_with_its_reason(checkin, caplog):
    caplog.set_level("INFO", logger="milestones.inbound")
    receive(freelancer_reply(checkin, headers={"Precedence": "bulk"}))
    (record,) = caplog.records
    assert "ignored, sent automatically (Precedence: bulk)" in record.getMessage()


# Held for the owner.


def reply_from_elsewhere(checkin, **kwargs):
    kwargs.setdefault("text", DONE)
    return reply_message(to=freelancer_address(checkin), sender="ana.personal@elsewhere.test", **kwargs)


def test_a_reply_from_another_address_is_held_not_stored(checkin):
    outcome = receive(reply_from_elsewhere(checkin, attachments=[("outline.pdf", PDF, "application/pdf")]))
    assert outcome.result == inbound.HELD
    checkin.refresh_from_db()
    assert checkin.freelancer_updated_at is None and not Deliverable.objects.exists()
    held = EmailReply.objects.get()
    assert (held.state, held.sender, held.text) == (
        EmailReply.State.HELD,
        "ana.personal@elsewhere.test",
        DONE,
    )
    assert receive(reply_from_elsewhere(checkin, message_id=held.message_id)).result == inbound.IGNORED


def test_the_owner_sees_held_replies_and_approving_one_posts_it(checkin, owner, client):
    checkin.project.owner = owner
    checkin.project.save()
    receive(reply_from_elsewhere(checkin, attachments=[("outline.pdf", PDF, "application/pdf")]))
    held = EmailReply.objects.get()
    client.force_login(owner)
    page = client.get(reverse("milestones:held_replies"))
    assert page.status_code == HTTPStatus.OK
    assert "ana.personal@elsewhere.test" in page.text and DONE in page.text
    response = client.post(reverse("milestones:approve_reply", args=[held.pk]))
    assert response.status_code == HTTPStatus.FOUND
    held.refresh_from_db()
    checkin.refresh_from_db()
    assert (held.state, held.decided_by, held.raw) == (EmailReply.State.APPROVED, owner, b"")
    assert checkin.freelancer_progress == DONE
    assert Deliverable.objects.get().name == "outline.pdf"
    again = client.post(reverse("milestones:approve_reply", args=[held.pk]), follow=True)
    assert "approved or discarded already" in again.text
    assert Deliverable.objects.count() == 1


def test_a_discarded_reply_posts_nothing(checkin, owner, client):
    receive(reply_from_elsewhere(checkin))
    held = EmailReply.objects.get()
    client.force_login(owner)
    client.post(reverse("milestones:discard_reply", args=[held.pk]))
    held.refresh_from_db()
    checkin.refresh_from_db()
    assert (held.state, held.raw) == (EmailReply.State.DISCARDED, b"")
    assert checkin.freelancer_updated_at is None


def test_approving_a_reply_on_a_closed_checkin_posts_nothing(checkin, owner, client):
    receive(reply_from_elsewhere(checkin))
    CheckIn.objects.filter(pk=checkin.pk).update(held_on=timezone.localdate())
    client.force_login(owner)
    page = client.post(reverse("milestones:approve_reply", args=[EmailReply.objects.get().pk]), follow=True)
    assert "no longer takes updates" in page.text
    assert EmailReply.objects.get().state == EmailReply.State.HELD


def test_only_who_may_change_checkins_sees_or_decides_held_replies(checkin, outsider, client):
    receive(reply_from_elsewhere(checkin))
    client.force_login(outsider)
    assert client.get(reverse("milestones:held_replies")).status_code == HTTPStatus.FORBIDDEN
    held = EmailReply.objects.get()
    assert (
        client.post(reverse("milestones:approve_reply", args=[held.pk])).status_code == HTTPStatus.FORBIDDEN
    )
    assert (
        client.post(reverse("milestones:discard_reply", args=[held.pk])).status_code == HTTPStatus.FORBIDDEN
    )
    assert EmailReply.objects.get().state == EmailReply.State.HELD


@pytest.mark.parametrize("count", [1, 12])
def test_the_held_replies_page_runs_the_same_queries_whatever_their_number(
    owner, client, django_assert_num_queries, count
):
    for _ in range(count):
        receive(reply_from_elsewhere(checkin_to_reply_to()))
    client.force_login(owner)
    # The session, the user, its permissions (two: user's and groups'), the count for the pager,
    # and the page of replies with their check-ins, projects and freelancers.
    with django_assert_num_queries(6):
        assert client.get(reverse("milestones:held_replies")).status_code == HTTPStatus.OK
