"""Replies by email as mail clients write them, for the tests of the three ways in.

Each reply is built as raw MIME bytes (what an SMTP server receives and an ESP parses), with
the quoted history each client adds: Gmail's "On ... wrote:" and quoted lines, Outlook's
"From: / Sent:" block under a rule, and Apple Mail's attribution inside a cited blockquote.
"""

import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone

from milestones.reply_address import reply_address
from projects.tests.factories import CheckInFactory, MilestoneFactory, ProjectFactory

# The smallest file the upload check reads as a PDF.
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
# A web page named like a PDF: refused, whatever its name says.
DISGUISED_HTML = (
    b"<!doctype html><html><body><script>document.location='https://evil.test'</script></body></html>"
)

REMINDER_TEXT = (
    "Hello Ana,\n\nOur next check-in on \u201cWebsite refresh\u201d is Tuesday 10:00.\n\nThank you!"
)
REMINDER_HTML = "<p>Hello Ana,</p><p>Our next check-in on \u201cWebsite refresh\u201d is Tuesday 10:00.</p>"


def checkin_to_reply_to(**project):
    """A planned check-in of a project in progress, before a milestone, with its freelancer."""
    project = ProjectFactory(**project)
    milestone = MilestoneFactory(project=project, title="Outline")
    return CheckInFactory(
        project=project, milestone=milestone, scheduled_for=timezone.now() + datetime.timedelta(hours=3)
    )


def freelancer_address(checkin, **kwargs):
    return reply_address(checkin, freelancer=checkin.project.freelancer, **kwargs)


def owner_address(checkin, **kwargs):
    return reply_address(checkin, user=checkin.project.owner, **kwargs)


def gmail_text(reply):
    return (
        f"{reply}\n\n"
        "On Tue, 3 Mar 2026 at 10:00, Helping Hands <hands@localhost> wrote:\n\n"
        + "\n".join(f"> {line}" for line in REMINDER_TEXT.splitlines())
        + "\n"
    )


def outlook_text(reply):
    return (
        f"{reply}\n\n"
        "________________________________\n"
        "From: Helping Hands <hands@localhost>\n"
        "Sent: Tuesday, March 3, 2026 10:00 AM\n"
        "To: Ana Lima <ana@example.com>\n"
        "Subject: Check-in Tuesday 10:00: Website refresh\n\n"
        f"{REMINDER_TEXT}\n"
    )


def apple_text(reply):
    return (
        f"{reply}\n\n"
        "> On 3 Mar 2026, at 10:00, Helping Hands <hands@localhost> wrote:\n>\n"
        + "\n".join(f"> {line}" for line in REMINDER_TEXT.splitlines())
        + "\n"
    )


def gmail_html(reply):
    return (
        f'<div dir="ltr">{reply}</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
        "On Tue, 3 Mar 2026 at 10:00, Helping Hands &lt;hands@localhost&gt; wrote:<br></div>"
        f'<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">{REMINDER_HTML}</blockquote></div>'
    )


def outlook_html(reply):
    return (
        "<html><head><style>p {margin:0}</style></head>"
        f'<body><div style="font-family:Calibri">{reply}</div>'
        '<div id="appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1">'
        '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri" style="font-size:11pt"><b>From:</b> '
        "Helping Hands &lt;hands@localhost&gt;<br><b>Sent:</b> Tuesday, March 3, 2026 10:00 AM<br>"
        "<b>To:</b> Ana Lima &lt;ana@example.com&gt;<br>"
        "<b>Subject:</b> Check-in Tuesday 10:00: Website refresh"
        f"</font><div>&nbsp;</div></div><div>{REMINDER_HTML}</div></body></html>"
    )


def apple_html(reply):
    return (
        f'<html><body dir="auto"><div>{reply}</div><div><br><blockquote type="cite">'
        "<div>On 3 Mar 2026, at 10:00, Helping Hands &lt;hands@localhost&gt; wrote:</div><br>"
        f"<div>{REMINDER_HTML}</div></blockquote></div></body></html>"
    )


def reply_message(
    *,
    to,
    sender,
    text=None,
    html=None,
    attachments=(),
    headers=None,
    message_id=None,
    subject="Re: Check-in Tuesday 10:00: Website refresh",
):
    """A reply as raw MIME bytes: a plain and/or HTML body, `attachments` as (name, bytes,
    content type) triples, and any extra `headers`."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(domain="mail.example.com")
    for name, value in (headers or {}).items():
        message[name] = value
    if text is not None:
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
    else:
        message.set_content(html or "", subtype="html")
    for name, content, content_type in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()
