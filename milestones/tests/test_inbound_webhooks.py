"""The ESPs' inbound webhooks under /inbound/: each posts a reply in its own payload format,
checked by anymail as it checks it, and the reply is stored through the one path.

The payloads follow the formats django-anymail's own tests use for each ESP: Postmark's JSON,
Mailgun's "forward" form with its HMAC signature, SendGrid's parsed form, and Amazon SES's
receipt inside an SNS notification.
"""

import base64
import hashlib
import hmac
import json
import time
from email import message_from_bytes, policy
from http import HTTPStatus
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse

from milestones.models import CheckIn, Deliverable, EmailReply
from milestones.tests.replies import PDF, checkin_to_reply_to, freelancer_address, reply_message

pytestmark = pytest.mark.filterwarnings("ignore:django-anymail has dropped official support for SendGrid")

SECRET = "helping-hands:a-long-webhook-password"
MAILGUN_KEY = "key-of-the-mailgun-webhooks"
DONE = "Done with the outline, question: who signs off?"


@pytest.fixture(autouse=True)
def configured(settings, tmp_path):
    settings.ANYMAIL = {"WEBHOOK_SECRET": [SECRET], "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY}
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def checkin(db):
    return checkin_to_reply_to()


def basic_auth(credentials=SECRET):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credentials.encode()).decode()}


# Each ESP's payload for the reply `raw` (MIME bytes), as its inbound webhook posts it.


def parsed(raw):
    return message_from_bytes(raw, policy=policy.default)


def postmark(raw, to):
    message = parsed(raw)
    body = message.get_body(("plain",))
    attachments = [
        {
            "Name": part.get_filename(),
            "Content": base64.b64encode(part.get_content()).decode(),
            "ContentType": part.get_content_type(),
            "ContentLength": len(part.get_content()),
        }
        for part in message.iter_attachments()
    ]
    payload = {
        "FromFull": {"Email": message["From"].addresses[0].addr_spec, "Name": "", "MailboxHash": ""},
        "ToFull": [{"Email": to, "Name": "", "MailboxHash": to.split("@")[0].split("+")[1]}],
        "CcFull": [],
        "OriginalRecipient": to,
        "Subject": message["Subject"],
        "MessageID": "22c74902-a0c1-4511-804f2-341342852c90",
        "Date": message["Date"],
        "TextBody": body.get_content() if body else "",
        "HtmlBody": "",
        "StrippedTextReply": "",
        "Tag": "",
        "Headers": [
            {"Name": "Return-Path", "Value": f"<{message['From'].addresses[0].addr_spec}>"},
            {"Name": "Received", "Value": "from mail.example.org by inbound.postmarkapp.com ..."},
            {"Name": "X-Spam-Status", "Value": "No"},
            {"Name": "X-Spam-Score", "Value": "0.1"},
            {"Name": "MIME-Version", "Value": "1.0"},
            {"Name": "Message-ID", "Value": message["Message-ID"]},
        ],
        "Attachments": attachments,
    }
    return {"data": json.dumps(payload), "content_type": "application/json"}


def mailgun_signature(timestamp, token, key=MAILGUN_KEY):
    return hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()


def mailgun(raw, to, key=MAILGUN_KEY):
    message = parsed(raw)
    timestamp, token = str(int(time.time())), "06c96bafc3f42a66b9edd546347a2fe18dc23461fe80dc52f0"
    form = {
        "token": token,
        "timestamp": timestamp,
        "signature": mailgun_signature(timestamp, token, key),
        "recipient": to,
        "sender": message["From"].addresses[0].addr_spec,
        "from": message["From"],
        "subject": message["Subject"],
        "message-headers": json.dumps(
            [
                ["X-Mailgun-Sflag", "No"],
                ["Received", "from mail.example.org by mxa.mailgun.org ..."],
                ["From", message["From"]],
                ["Message-Id", message["Message-ID"]],
                ["Subject", message["Subject"]],
                ["To", to],
                ["Mime-Version", "1.0"],
            ]
        ),
        "body-plain": message.get_body(("plain",)).get_content(),
        "stripped-text": "",
    }
    files = list(message.iter_attachments())
    form["attachment-count"] = str(len(files))
    for number, part in enumerate(files, start=1):
        upload = BytesIO(part.get_content())
        upload.name = part.get_filename()
        form[f"attachment-{number}"] = upload
    return {"data": form}


def sendgrid(raw, to):
    message = parsed(raw)
    headers = "".join(f"{name}: {value}\n" for name, value in message.items() if name != "Content-Type")
    form = {
        "headers": headers + "Content-Type: multipart/mixed; boundary=xYzZY\n",
        "from": message["From"],
        "to": to,
        "subject": message["Subject"],
        "text": message.get_body(("plain",)).get_content(),
        "charsets": json.dumps({"to": "UTF-8", "subject": "UTF-8", "from": "UTF-8", "text": "UTF-8"}),
        "envelope": json.dumps({"to": [to], "from": message["From"].addresses[0].addr_spec}),
        "sender_ip": "10.10.1.71",
        "SPF": "pass",
    }
    files = list(message.iter_attachments())
    form["attachments"] = str(len(files))
    form["attachment-info"] = json.dumps(
        {
            f"attachment{number}": {"filename": part.get_filename(), "type": part.get_content_type()}
            for number, part in enumerate(files, start=1)
        }
    )
    for number, part in enumerate(files, start=1):
        upload = BytesIO(part.get_content())
        upload.name = part.get_filename()
        form[f"attachment{number}"] = upload
    return {"data": form}


def amazon_ses(raw, to):
    message = parsed(raw)
    sender = message["From"].addresses[0].addr_spec
    receipt = {
        "notificationType": "Received",
        "mail": {
            "timestamp": "2026-03-30T17:21:51.636Z",
            "source": sender,
            "messageId": "jili9m351il3gkburn7o2f0u6788stij94c8ld01",
            "destination": [to],
            "headersTruncated": False,
            "commonHeaders": {"from": [message["From"]], "to": [to], "subject": message["Subject"]},
        },
        "receipt": {
            "timestamp": "2026-03-30T17:21:51.636Z",
            "processingTimeMillis": 357,
            "recipients": [to],
            "spamVerdict": {"status": "PASS"},
            "virusVerdict": {"status": "PASS"},
            "action": {
                "type": "SNS",
                "topicArn": "arn:aws:sns:us-east-1:111111111111:SES_Inbound",
                "encoding": "BASE64",
            },
        },
        "content": base64.b64encode(raw).decode(),
    }
    notification = {
        "Type": "Notification",
        "MessageId": "8f6dee70-c885-558a-be7d-bd48bbf5335e",
        "TopicArn": "arn:aws:sns:us-east-1:111111111111:SES_Inbound",
        "Subject": "Amazon SES Email Receipt Notification",
        "Message": json.dumps(receipt),
        "Timestamp": "2026-03-30T17:17:36.516Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE_SIGNATURE==",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-12345abcde.pem",
    }
    return {
        "data": json.dumps(notification),
        "content_type": "text/plain; charset=UTF-8",
        "HTTP_X_AMZ_SNS_MESSAGE_TYPE": "Notification",
        "HTTP_X_AMZ_SNS_MESSAGE_ID": notification["MessageId"],
    }


ESPS = {"postmark": postmark, "mailgun": mailgun, "sendgrid": sendgrid, "amazon-ses": amazon_ses}


def post(client, esp, checkin, *, auth=None, raw=None, **reply):
    address = freelancer_address(checkin)
    reply.setdefault("text", DONE)
    raw = raw or reply_message(to=address, sender=checkin.project.freelancer.email, **reply)
    return client.post(
        f"/inbound/{esp}/", **ESPS[esp](raw, address), **(basic_auth() if auth is None else auth)
    )


@pytest.mark.parametrize("esp", ESPS)
def test_a_reply_posted_by_the_esp_is_the_update_and_its_pdf_a_deliverable(client, checkin, esp):
    response = post(client, esp, checkin, attachments=[("outline.pdf", PDF, "application/pdf")])
    assert response.status_code == HTTPStatus.OK
    checkin.refresh_from_db()
    assert checkin.freelancer_progress == DONE and checkin.update_read_at is None
    deliverable = Deliverable.objects.get()
    assert (deliverable.name, deliverable.milestone, deliverable.channel) == (
        "outline.pdf",
        checkin.milestone,
        Deliverable.Channel.REPLY_EMAIL,
    )
    assert deliverable.file.read() == PDF
    assert (
        EmailReply.objects.get().via
        == {
            "postmark": "Postmark",
            "mailgun": "Mailgun",
            "sendgrid": "SendGrid",
            "amazon-ses": "Amazon SES",
        }[esp]
    )


def test_the_webhook_urls_are_named():
    assert reverse("inbound_postmark") == "/inbound/postmark/"
    assert reverse("inbound_amazon_ses") == "/inbound/amazon-ses/"


@pytest.mark.parametrize("esp", ESPS)
@pytest.mark.parametrize(
    "auth", [{}, basic_auth("helping-hands:a-wrong-password")], ids=["no credentials", "wrong credentials"]
)
def test_a_post_without_the_webhook_credentials_stores_nothing(client, checkin, esp, auth):
    response = post(client, esp, checkin, auth=auth)
    assert response.status_code in (HTTPStatus.BAD_REQUEST, HTTPStatus.UNAUTHORIZED)
    checkin.refresh_from_db()
    assert checkin.freelancer_updated_at is None and not EmailReply.objects.exists()


def test_a_mailgun_post_with_a_wrong_signature_stores_nothing(client, checkin):
    address = freelancer_address(checkin)
    raw = reply_message(to=address, sender=checkin.project.freelancer.email, text=DONE)
    response = client.post(
        "/inbound/mailgun/", **mailgun(raw, address, key="someone-elses-key"), **basic_auth()
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not EmailReply.objects.exists()


@pytest.mark.parametrize("esp", ESPS)
def test_a_webhook_whose_secrets_are_not_set_is_not_there(client, checkin, settings, esp):
    settings.ANYMAIL = {"WEBHOOK_SECRET": [], "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY}
    assert post(client, esp, checkin).status_code == HTTPStatus.NOT_FOUND
    assert not EmailReply.objects.exists()


def test_mailgun_without_its_signing_key_is_not_there(client, checkin, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": [SECRET], "MAILGUN_WEBHOOK_SIGNING_KEY": ""}
    assert post(client, "mailgun", checkin).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("esp", ESPS)
def test_the_same_message_posted_twice_stores_one_update(client, checkin, esp):
    raw = reply_message(to=freelancer_address(checkin), sender=checkin.project.freelancer.email, text=DONE)
    assert post(client, esp, checkin, raw=raw).status_code == HTTPStatus.OK
    assert post(client, esp, checkin, raw=raw).status_code == HTTPStatus.OK  # no retry wanted
    assert EmailReply.objects.count() == 1


def test_a_refused_reply_is_answered_2xx_so_the_esp_does_not_retry_it(client, checkin):
    CheckIn.objects.filter(pk=checkin.pk).update(held_on="2026-01-01")
    assert post(client, "postmark", checkin).status_code == HTTPStatus.OK
    assert not EmailReply.objects.exists()


def test_a_failure_while_storing_is_a_5xx_so_the_esp_sends_it_again(checkin, settings, tmp_path):
    client = Client(raise_request_exception=False)
    raw = reply_message(
        to=freelancer_address(checkin),
        sender=checkin.project.freelancer.email,
        text=DONE,
        attachments=[("outline.pdf", PDF, "application/pdf")],
    )
    (tmp_path / "a-file").write_text("")
    settings.MEDIA_ROOT = str(tmp_path / "a-file" / "media")  # no folder can be made under a file
    assert post(client, "postmark", checkin, raw=raw).status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert not EmailReply.objects.exists()
    checkin.refresh_from_db()
    assert checkin.freelancer_updated_at is None
    settings.MEDIA_ROOT = str(tmp_path / "media")
    assert post(client, "postmark", checkin, raw=raw).status_code == HTTPStatus.OK
    assert Deliverable.objects.count() == EmailReply.objects.count() == 1


@pytest.mark.parametrize("esp", ["postmark", "sendgrid"])
def test_a_message_larger_than_a_page_may_post_is_still_taken(client, checkin, settings, esp):
    large = PDF + b"%" + b"0" * (3 * 1024 * 1024)  # more than DATA_UPLOAD_MAX_MEMORY_SIZE
    response = post(client, esp, checkin, attachments=[("scan.pdf", large, "application/pdf")])
    assert response.status_code == HTTPStatus.OK
    assert Deliverable.objects.get().size == len(large)


def test_a_body_larger_than_any_message_is_refused_unread(client, checkin, settings):
    settings.INBOUND_MAIL_MAX_BYTES = 100_000
    response = post(
        client, "postmark", checkin, attachments=[("scan.pdf", PDF + b"0" * 1_500_000, "application/pdf")]
    )
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert not EmailReply.objects.exists()
