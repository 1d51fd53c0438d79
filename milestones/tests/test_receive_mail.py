"""`manage.py receive_mail`: a real SMTP server, in its own process, storing the replies sent to it.

The last test is the feature's whole story in Chromium: a freelancer's reply with a PDF, sent
to the receiver, is an unread update on the owner's dashboard, and sending it again adds nothing.

smtplib talks to the command's process on 127.0.0.1 (started as the other background
processes are, milestones.tests.processes) over the test database, as a mail client would.
"""

import contextlib
import re
import smtplib
import sys

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from milestones.models import CheckIn, Deliverable, EmailReply
from milestones.tests.processes import running_process
from milestones.tests.replies import (
    PDF,
    checkin_to_reply_to,
    freelancer_address,
    gmail_text,
    reply_message,
)
from milestones.tests.waiting import wait_until

# The browser fixtures (browser, new_page, owner_user, owner_page) come in by name, as pytest needs.
from outsourcing.tests.browser import *  # noqa: F403

pytestmark = pytest.mark.slow

READY = re.compile(r"Receiving replies by email on 127\.0\.0\.1:(\d+)")
DONE = "Done with the outline, question: who signs off?"


class Receiver:
    def __init__(self, process):
        self.process = process
        self.port = int(READY.search(process.output()).group(1))
        self.seen = 0

    def log(self):
        """What it logged during this test."""
        return self.process.output()[self.seen :]

    def client(self):
        return smtplib.SMTP("127.0.0.1", self.port, timeout=30)

    def send(self, raw, to, sender="ana@example.com"):
        with self.client() as smtp:
            return smtp.sendmail(sender, [to], raw)


@contextlib.contextmanager
def running_receiver(log_folder, **environment):
    """`manage.py receive_mail --port 0` over the test database, until the block ends."""
    command = [sys.executable, "manage.py", "receive_mail", "--port", "0"]
    environment = {"MEDIA_ROOT": str(log_folder / "media"), **environment}
    with running_process(command, log_folder / "receive_mail.log", environment) as process:
        wait_until(lambda: READY.search(process.output()), 60, "receive_mail did not start", [process])
        yield Receiver(process)


@pytest.fixture(scope="module")
def module_receiver(django_db_setup, tmp_path_factory):
    # One process for the module: it reads only what each test commits.
    with running_receiver(tmp_path_factory.mktemp("receive_mail")) as receiver:
        yield receiver


@pytest.fixture
def receiver(module_receiver, transactional_db, settings):
    settings.MEDIA_ROOT = module_receiver.process.log.parent / "media"  # where it stores files
    module_receiver.seen = len(module_receiver.log())
    return module_receiver


def test_a_reply_sent_to_the_receiver_is_the_update_and_its_pdf_a_deliverable(receiver):
    checkin = checkin_to_reply_to()
    freelancer = checkin.project.freelancer
    raw = reply_message(
        to=freelancer_address(checkin),
        sender=freelancer.email,
        text=DONE,
        attachments=[("outline.pdf", PDF, "application/pdf")],
    )
    assert receiver.send(raw, freelancer_address(checkin), sender=freelancer.email) == {}
    checkin.refresh_from_db()
    assert checkin.freelancer_progress == DONE and checkin.update_read_at is None
    deliverable = Deliverable.objects.get()
    assert (deliverable.name, deliverable.milestone, deliverable.channel) == (
        "outline.pdf",
        checkin.milestone,
        Deliverable.Channel.REPLY_EMAIL,
    )
    assert deliverable.file.read() == PDF
    assert "Reply by email" in receiver.log() and "stored" in receiver.log()


def test_the_same_message_sent_twice_stores_one_update(receiver):
    checkin = checkin_to_reply_to()
    address = freelancer_address(checkin)
    raw = reply_message(
        to=address,
        sender=checkin.project.freelancer.email,
        text=DONE,
        attachments=[("outline.pdf", PDF, "application/pdf")],
    )
    receiver.send(raw, address)
    receiver.send(raw, address)  # accepted: the sender's server must not try again
    assert EmailReply.objects.count() == Deliverable.objects.count() == 1
    assert "this message was received already" in receiver.log()


def refused_at_rcpt(receiver, address):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        receiver.send(reply_message(to=address, sender="ana@example.com", text=DONE), address)
    ((code, reason),) = refused.value.recipients.values()
    return code, reason.decode()


def test_an_address_that_is_not_a_reply_address_is_refused_at_rcpt(receiver):
    assert refused_at_rcpt(receiver, "someone@localhost") == (550, "5.1.1 not a reply address")


def test_a_tampered_reply_address_is_refused_at_rcpt(receiver):
    address = freelancer_address(checkin_to_reply_to())
    local, domain = address.split("@")
    tampered = f"{local[:-2]}{'zz' if not local.endswith('zz') else 'aa'}@{domain}"
    assert refused_at_rcpt(receiver, tampered) == (550, "5.1.1 reply token signature does not match")


def test_an_expired_reply_address_is_refused_at_rcpt(receiver):
    address = freelancer_address(checkin_to_reply_to(), now=timezone.now().timestamp() - 15 * 24 * 3600)
    assert refused_at_rcpt(receiver, address) == (550, "5.1.1 the reply address has expired")


def test_a_reply_to_a_closed_checkin_is_refused_at_rcpt(receiver):
    checkin = checkin_to_reply_to()
    CheckIn.objects.filter(pk=checkin.pk).update(held_on=timezone.localdate())
    code, reason = refused_at_rcpt(receiver, freelancer_address(checkin))
    assert (code, reason) == (550, "5.1.1 the check-in no longer takes replies, or is not this recipient's")


def test_a_checkin_closed_between_recipient_and_message_is_refused_at_data(receiver):
    checkin = checkin_to_reply_to()
    address = freelancer_address(checkin)
    with receiver.client() as smtp:
        smtp.ehlo()
        smtp.mail(checkin.project.freelancer.email)
        assert smtp.rcpt(address)[0] == 250
        CheckIn.objects.filter(pk=checkin.pk).update(held_on=timezone.localdate())
        code, reason = smtp.data(
            reply_message(to=address, sender=checkin.project.freelancer.email, text=DONE)
        )
    assert code == 550
    assert reason.decode().startswith("5.7.1 the check-in no longer takes replies")
    assert not EmailReply.objects.exists()


def test_a_message_over_the_size_limit_is_refused_at_data(transactional_db, tmp_path):
    with running_receiver(tmp_path, INBOUND_MAIL_MAX_MB="1") as receiver:
        refuse_a_large_message(receiver)
    assert not EmailReply.objects.exists()


def refuse_a_large_message(receiver):
    checkin = checkin_to_reply_to()
    address = freelancer_address(checkin)
    big = reply_message(
        to=address,
        sender=checkin.project.freelancer.email,
        text=DONE,
        attachments=[("big.pdf", PDF + b"0" * 1024 * 1024, "application/pdf")],
    )
    with pytest.raises(smtplib.SMTPException) as refused:
        receiver.send(big, address)
    assert refused.value.smtp_code == 552


def test_a_bounce_from_the_null_sender_is_accepted_and_stored_nowhere(receiver):
    checkin = checkin_to_reply_to()
    address = freelancer_address(checkin)
    bounce = reply_message(to=address, sender="MAILER-DAEMON@mail.example.com", text="Delivery failed")
    assert receiver.send(bounce, address, sender="") == {}
    checkin.refresh_from_db()
    assert checkin.freelancer_updated_at is None and not EmailReply.objects.exists()
    assert "sent automatically (empty Return-Path)" in receiver.log()


def test_an_auto_reply_is_accepted_and_stored_nowhere(receiver):
    checkin = checkin_to_reply_to()
    address = freelancer_address(checkin)
    away = reply_message(
        to=address,
        sender=checkin.project.freelancer.email,
        text="I am away until Monday.",
        headers={"Auto-Submitted": "auto-replied"},
    )
    assert receiver.send(away, address) == {}
    checkin.refresh_from_db()
    assert checkin.freelancer_updated_at is None


def test_a_reply_from_another_address_is_accepted_and_held(receiver):
    checkin = checkin_to_reply_to()
    address = freelancer_address(checkin)
    receiver.send(reply_message(to=address, sender="someone@elsewhere.test", text=DONE), address)
    assert EmailReply.objects.get().state == EmailReply.State.HELD
    checkin.refresh_from_db()
    assert checkin.freelancer_updated_at is None


def test_a_freelancers_reply_with_a_pdf_reaches_the_owners_dashboard_once(receiver, owner_page, owner_user):
    checkin = checkin_to_reply_to(owner=owner_user, title="Spring newsletter series")
    freelancer = checkin.project.freelancer
    address = freelancer_address(checkin)
    raw = reply_message(
        to=address,
        sender=freelancer.email,
        text=gmail_text(DONE),
        attachments=[("outline.pdf", PDF, "application/pdf")],
    )
    receiver.send(raw, address, sender=freelancer.email)

    owner_page.reload()
    updates = owner_page.get_by_role("region", name="Updates from freelancers")
    update = updates.locator("div.border-start", has_text=DONE)
    expect(update).to_have_count(1)
    expect(update.get_by_text("Unread")).to_be_visible()
    expect(update).to_contain_text(f"Update from {freelancer.name}")
    deliverable = Deliverable.objects.get()
    assert (deliverable.name, deliverable.milestone) == ("outline.pdf", checkin.milestone)

    receiver.send(raw, address, sender=freelancer.email)  # the same message again
    owner_page.reload()
    expect(updates.locator("div.border-start", has_text=DONE)).to_have_count(1)
    assert Deliverable.objects.count() == EmailReply.objects.count() == 1
    assert CheckIn.history.filter(id=checkin.pk, history_change_reason__startswith="Update from").count() == 1
