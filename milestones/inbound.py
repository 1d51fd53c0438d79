"""Replies to reminders by email: one path, whichever way the message came in.

receive() takes the parsed message (django-anymail's AnymailInboundMessage), from an ESP's
inbound webhook (milestones/inbound_webhooks.py) or from `manage.py receive_mail`, and says
what became of it:

- stored: the freelancer's reply is their update on the check-in its reply address names, as
  if posted through their link (milestones.services.post_freelancer_update: unread on the
  dashboard, the owner emailed once); an owner's reply is their note, the check-in recorded
  as held today (record_checkin). Attachments become deliverables (receive_deliverable),
  in the same transaction; a file refused for its type or size is left out and said so.
- held: sent from an address that is not the recipient's; waits for the owner to approve it
  (approve_held_reply, which then stores it as above) or discard it.
- ignored: an automatic reply or bounce, a reply with nothing written, or a message already
  stored or held (its Message-ID is unique in EmailReply, so a second delivery stores nothing).
- refused: larger than INBOUND_MAIL_MAX_BYTES, not sent to a reply address, a reply address
  that is malformed, tampered with, expired or not for that check-in, or a check-in closed.

Each outcome is logged with its reason. An error (the database down) is raised, so the
webhook answers 5xx and the SMTP receiver 451, and the message comes again.
"""

import hashlib
import logging
from dataclasses import dataclass

from anymail.inbound import AnymailInboundMessage
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from milestones import services
from milestones.deliverables import receive_deliverable
from milestones.links import reachable_checkins
from milestones.models import CheckIn, Deliverable, EmailReply
from milestones.reply_address import read_reply_address
from milestones.reply_text import read_fields, reply_text
from projects.models import Project

logger = logging.getLogger(__name__)

STORED = "stored"
HELD = "held"
IGNORED = "ignored"
REFUSED = "refused"

# Header values that mark a message no person wrote (RFC 3834, and what autoresponders use).
AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
AUTOMATIC_FLAGS = ("X-Autoreply", "X-Autorespond")
CLOSED = "the check-in no longer takes replies, or is not this recipient's"


@dataclass(frozen=True)
class Outcome:
    """What became of one message, and why."""

    result: str  # STORED, HELD, IGNORED or REFUSED
    reason: str
    checkin_id: int | None = None

    @property
    def refused(self):
        return self.result == REFUSED


def receive(message, *, via, recipients=(), size=None):
    """Store, hold, ignore or refuse one message; returns its Outcome.

    `via` names the way in (an ESP, or "smtp"); `recipients` are the envelope's (the SMTP
    RCPT TO addresses), looked at before the message's own To and Cc; `size` is the message's
    size in bytes as received, measured here when not given."""
    outcome = _receive(message, via=via, recipients=recipients, size=size)
    level = logging.INFO if outcome.result in (STORED, HELD) else logging.WARNING
    logger.log(
        level,
        "Reply by email %s from %s via %s: %s, %s",
        message_id(message) or "(no Message-ID)",
        sender_address(message) or "(no sender)",
        via,
        outcome.result,
        outcome.reason,
    )
    return outcome


def _receive(message, *, via, recipients, size):
    size = len(message.as_bytes()) if size is None else size
    if size > settings.INBOUND_MAIL_MAX_BYTES:
        return Outcome(REFUSED, f"larger than the limit of {filesizeformat(settings.INBOUND_MAIL_MAX_BYTES)}")
    if automatic := automatic_reason(message):
        return Outcome(IGNORED, f"sent automatically ({automatic})")
    try:
        reply_to = addressed_to(message, recipients)
    except signing.BadSignature as error:
        return Outcome(REFUSED, address_problem(error))
    checkin = open_checkin(
        reply_to.checkin_id, freelancer_id=_freelancer_id(reply_to), owner_id=_owner_id(reply_to)
    )
    if checkin is None:
        return Outcome(REFUSED, CLOSED)
    text = reply_text(message)
    if not text and not message.attachments:
        return Outcome(IGNORED, "nothing was written above the quoted message", checkin.pk)
    reply = EmailReply(
        message_key=message_key(message),
        message_id=without_nul(message_id(message))[:255],
        checkin=checkin,
        freelancer_id=_freelancer_id(reply_to),
        owner_id=_owner_id(reply_to),
        sender=without_nul(sender_address(message))[:320],
        subject=without_nul(message.subject or "")[:255],
        text=text,
        via=via[:40],
    )
    expected = checkin.project.owner.email if reply_to.from_owner else checkin.project.freelancer.email
    if normalised(reply.sender) != normalised(expected):
        return hold(reply, message)
    try:
        return store(reply, message)
    except ValidationError as error:
        return Outcome(REFUSED, " ".join(error.messages), checkin.pk)


def recipient_problem(address):
    """Why a reply sent to `address` would be refused, in a few words; "" when it would not
    (the SMTP receiver asks at RCPT TO, before the message is sent)."""
    try:
        reply_to = read_reply_address(address)
    except signing.BadSignature as error:
        return address_problem(error)
    if open_checkin(
        reply_to.checkin_id, freelancer_id=_freelancer_id(reply_to), owner_id=_owner_id(reply_to)
    ):
        return ""
    return CLOSED


def address_problem(error):
    if isinstance(error, signing.SignatureExpired):
        return "the reply address has expired"
    return str(error)


def _freelancer_id(reply_to):
    return None if reply_to.from_owner else reply_to.recipient_id


def _owner_id(reply_to):
    return reply_to.recipient_id if reply_to.from_owner else None


# What a message is.


def without_nul(text):
    # PostgreSQL cannot store a NUL in text, and no person types one.
    return text.replace("\x00", "")


def message_id(message):
    return (message["Message-ID"] or "").strip()


def message_key(message):
    """The key a message is stored once under: its Message-ID, or its bytes without one."""
    if mid := message_id(message):
        return hashlib.sha256(b"id:" + mid.strip("<>").encode("utf-8", "replace")).hexdigest()
    return hashlib.sha256(b"raw:" + message.as_bytes()).hexdigest()


def sender_address(message):
    sender = message.from_email
    if isinstance(sender, list):  # several From addresses: none of them is the one person's
        return ", ".join(address.addr_spec for address in sender)
    return sender.addr_spec if sender is not None else ""


def normalised(address):
    return (address or "").strip().strip("<>").strip().lower()


def automatic_reason(message):
    """Why the message was sent by a machine (an autoresponder, a bounce), or ""."""
    auto_submitted = (message["Auto-Submitted"] or "").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = (message["Precedence"] or "").strip().lower()
    if precedence in AUTOMATIC_PRECEDENCE:
        return f"Precedence: {precedence}"
    for flag in AUTOMATIC_FLAGS:
        if message[flag] is not None:
            return flag
    # A bounce comes from the null sender, <> (RFC 5321 4.5.5).
    return_path = message["Return-Path"]
    envelope_sender = getattr(message, "envelope_sender", None)
    if (return_path is not None and normalised(return_path) == "") or envelope_sender in ("", "<>"):
        return "empty Return-Path"
    if message.get_content_type() == "multipart/report":
        return "a delivery report"
    return ""


def addressed_to(message, recipients=()):
    """The ReplyTo the message is addressed to: the first reply address among the envelope's
    recipients, the ESP's envelope recipient, then To and Cc that reads. Raises
    signing.BadSignature (or SignatureExpired) when none does, with the reason."""
    addresses = [*recipients, getattr(message, "envelope_recipient", None) or ""]
    addresses += [
        address.addr_spec for header in ("To", "Cc") for address in message.get_address_header(header)
    ]
    problem = None
    for address in addresses:
        try:
            return read_reply_address(address)
        except signing.BadSignature as error:
            if str(error) != "not a reply address" and problem is None:
                problem = error
    raise problem or signing.BadSignature("not sent to a reply address")


def open_checkin(checkin_id, *, freelancer_id=None, owner_id=None):
    """The check-in a reply may still be stored on, with its project, people and milestone:
    for the freelancer, one their link still reaches (milestones.links.reachable_checkins);
    for the owner, one of their project in progress. Never a check-in held already: that
    conversation is recorded. None otherwise."""
    if freelancer_id is not None:
        checkins = reachable_checkins(freelancer_id)
    elif owner_id is not None:
        checkins = CheckIn.objects.filter(
            project__in=Project.objects.in_progress(),
            project__owner_id=owner_id,
            project__owner__is_active=True,
        )
    else:
        return None
    checkins = checkins.planned().select_related("project__owner", "project__freelancer", "milestone")
    return checkins.filter(pk=checkin_id).first()


# Holding and storing.


def claim(reply):
    """Save `reply` unless a reply with its message key exists; False when one does (the same
    message, delivered again). Inside the caller's transaction, so it is undone with it."""
    try:
        with transaction.atomic():
            reply.save()
    except IntegrityError:
        if EmailReply.objects.filter(message_key=reply.message_key).exists():
            return False
        raise
    return True


def hold(reply, message):
    reply.state = EmailReply.State.HELD
    reply.reason = f"Sent from {reply.sender or 'no address'}, not the address the reminder went to."
    reply.raw = message.as_bytes()
    with transaction.atomic():
        if not claim(reply):
            return Outcome(IGNORED, "this message was received already", reply.checkin_id)
    return Outcome(
        HELD, "sent from another address than the reminder's; held for the owner", reply.checkin_id
    )


def store(reply, message, *, by=None):
    """Store the reply's text and attachments on its check-in, all or nothing. A new reply is
    claimed first (IGNORED when it was received already); a held one (approved `by` the owner)
    is marked approved. Raises ValidationError when the check-in no longer takes it."""
    with transaction.atomic():
        if reply.pk is None:
            reply.state = EmailReply.State.STORED
            if not claim(reply):
                return Outcome(IGNORED, "this message was received already", reply.checkin_id)
        checkin = open_checkin(reply.checkin_id, freelancer_id=reply.freelancer_id, owner_id=reply.owner_id)
        if checkin is None:
            raise ValidationError(services.LINK_CLOSED, code="closed")
        notes = [store_text(reply, checkin)] if reply.text else []
        notes += store_files(reply, checkin, message)
        reply.reason = " ".join(notes)
        reply.raw = b""
        if by is not None:
            reply.state = EmailReply.State.APPROVED
            reply.decided_by = by
            reply.decided_at = timezone.now()
        reply.save()
    return Outcome(STORED, reply.reason, reply.checkin_id)


def store_text(reply, checkin):
    """The reply as the freelancer's update, or as the owner's note on a check-in held today."""
    fields = read_fields(reply.text)
    if reply.from_owner:
        services.record_checkin(
            checkin=checkin,
            held_on=timezone.localdate(),
            progress_note=fields["progress"],
            on_track=fields["on_track"],
            questions=fields["questions"],
            next_steps=fields["next_steps"],
            by=checkin.project.owner,
            by_email=True,
        )
        return "Recorded as the owner's note; the check-in is held."
    posted = services.post_freelancer_update(
        checkin=checkin,
        freelancer=checkin.project.freelancer,
        progress=fields["progress"],
        on_track=fields["on_track"],
        questions=fields["questions"],
        blockers=fields["blockers"],
        by_email=True,
    )
    return {
        "posted": "Stored as the freelancer's update.",
        "revised": "Stored as the freelancer's update, replacing the earlier one.",
        "repeated": "The same update was stored already.",
    }[posted]


def store_files(reply, checkin, message):
    """Each attachment as a deliverable of the check-in's milestone (of the project, when the
    check-in has none); returns what was said of them. A refused file is left out, and the
    rest is stored."""
    notes = []
    for number, part in enumerate(message.attachments, start=1):
        name = part.get_filename() or f"attachment-{number}"
        try:
            with transaction.atomic():
                receive_deliverable(
                    milestone=checkin.milestone,
                    name=name,
                    content=part.get_content_bytes() or b"",
                    sender_email=reply.sender if "@" in reply.sender else "",
                    channel=Deliverable.Channel.REPLY_EMAIL,
                    freelancer=checkin.project.freelancer if not reply.from_owner else None,
                    uploaded_by=checkin.project.owner if reply.from_owner else None,
                    checkin=checkin,
                    received_at=reply.received_at,
                )
        except ValidationError as error:
            logger.warning(
                "Attachment %r of reply %s refused: %s", name, reply.message_id, " ".join(error.messages)
            )
            notes.append(f"The attachment “{name}” was refused: {' '.join(error.messages)}")
        else:
            notes.append(f"The attachment “{name}” is a deliverable now.")
    return notes


# The owner's decisions on held replies.


def approve_held_reply(*, reply, by):
    """Store a held reply as if it had come from the recipient's address. Raises
    ValidationError when it was decided already or its check-in no longer takes it."""
    with transaction.atomic():
        locked = held_for_update(reply)
        message = AnymailInboundMessage.parse_raw_mime_bytes(bytes(locked.raw))
        outcome = store(locked, message, by=by)
    logger.info("Held reply %s approved by %s: %s", locked.pk, by, outcome.reason)
    return outcome


def discard_held_reply(*, reply, by):
    with transaction.atomic():
        locked = held_for_update(reply)
        locked.state = EmailReply.State.DISCARDED
        locked.raw = b""
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.save(update_fields=["state", "raw", "decided_by", "decided_at"])
    logger.info("Held reply %s discarded by %s", locked.pk, by)
    return locked


def held_for_update(reply):
    locked = EmailReply.objects.select_for_update().filter(pk=reply.pk, state=EmailReply.State.HELD).first()
    if locked is None:
        raise ValidationError("This reply was approved or discarded already.", code="decided")
    return locked
