"""Reply to the newest reminder in var/mail/ as its recipient would, through `make run`'s mail
receiver (127.0.0.1:2525): the reply becomes the update on that check-in.

    python scripts/reply_by_email.py "Done with the outline, question: who signs off?" --attach outline.pdf

Development writes every email to a file under var/mail/ (EMAIL_FILE_PATH); this reads the
newest one with a Reply-To address, and sends the reply from the address it was sent to.
Standard library only.
"""

import argparse
import email
import mimetypes
import smtplib
import sys
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

SEPARATOR = "-" * 79


def reminders(folder):
    """Every email written under `folder`, newest file first."""
    for path in sorted(folder.glob("*.log"), key=lambda path: path.stat().st_mtime, reverse=True):
        for text in reversed(path.read_text(errors="replace").split(f"\n{SEPARATOR}\n")):
            if text.strip():
                yield email.message_from_string(text.strip() + "\n", policy=policy.default)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("text", help="What the reply says.")
    parser.add_argument("--attach", type=Path, action="append", default=[], help="A file to attach.")
    parser.add_argument("--mail-folder", type=Path, default=Path("var/mail"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    arguments = parser.parse_args()

    reminder = next((message for message in reminders(arguments.mail_folder) if message["Reply-To"]), None)
    if reminder is None:
        sys.exit(f"No email with a Reply-To in {arguments.mail_folder}/ yet: wait for a check-in reminder.")
    reply = EmailMessage()
    reply["From"] = reminder["To"]
    reply["To"] = reminder["Reply-To"]
    reply["Subject"] = f"Re: {reminder['Subject']}"
    reply["Message-ID"] = make_msgid()
    reply["In-Reply-To"] = reminder["Message-ID"]
    quoted = "\n".join(f"> {line}" for line in reminder.get_body(("plain",)).get_content().splitlines())
    reply.set_content(f"{arguments.text}\n\nOn {reminder['Date']}, {reminder['From']} wrote:\n{quoted}\n")
    for path in arguments.attach:
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        maintype, _, subtype = content_type.partition("/")
        reply.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    with smtplib.SMTP(arguments.host, arguments.port) as smtp:
        smtp.send_message(reply)
    print(f"Replied to “{reminder['Subject']}” as {reminder['To']}.")


if __name__ == "__main__":
    main()
