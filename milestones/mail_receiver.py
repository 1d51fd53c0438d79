"""The local SMTP receiver for replies by email (`manage.py receive_mail`): aiosmtpd hands
each message to milestones.inbound.receive(), the same path as the ESPs' webhooks.

A recipient that is not a working reply address is refused at RCPT TO with 550 and the
reason, so the sender's server bounces the message back to its sender; a message refused
once read (too large, a check-in closed meanwhile) is refused at DATA the same way. A
message stored, held or ignored (an automatic reply, a second delivery) is accepted. When
the database cannot be reached the answer is 451, and the sender's server tries again later.
"""

import asyncio
import logging
import signal

from aiosmtpd.smtp import SMTP
from anymail.inbound import AnymailInboundMessage
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from milestones import inbound

logger = logging.getLogger(__name__)


def with_database(function, *args):
    """Run `function` as a request would: with a database connection that still works."""
    close_old_connections()
    try:
        return function(*args)
    finally:
        close_old_connections()


def receive_envelope(envelope):
    content = envelope.original_content or envelope.content
    message = AnymailInboundMessage.parse_raw_mime_bytes(content)
    message.envelope_sender = envelope.mail_from
    return inbound.receive(message, via="smtp", recipients=envelope.rcpt_tos, size=len(content))


class ReplyHandler:
    """The aiosmtpd handler: checks each recipient, then hands the message on."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        try:
            problem = await sync_to_async(with_database)(inbound.recipient_problem, address)
        except Exception:
            logger.exception("Could not check the recipient %s", address)
            return "451 4.3.0 Cannot check this address now; try again later"
        if problem:
            logger.warning("Reply by email to %s refused at RCPT: %s", address, problem)
            return f"550 5.1.1 {short(problem)}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        try:
            outcome = await sync_to_async(with_database)(receive_envelope, envelope)
        except Exception:
            logger.exception("Could not store a reply by email from %s", envelope.mail_from)
            return "451 4.3.0 Cannot store the message now; try again later"
        if outcome.refused:
            return f"550 5.7.1 {short(outcome.reason)}"
        return f"250 OK: {outcome.result}"


def short(reason):
    """A reason fit for one SMTP reply line."""
    return " ".join(reason.split())[:200]


def serve(host, port, ready=None):
    """Receive mail on host:port until SIGTERM or SIGINT; `ready(port)` is called once listening."""
    # aiosmtpd logs every command of every conversation at INFO; the outcomes are logged here.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    handler = ReplyHandler()

    def connection():
        return SMTP(handler, data_size_limit=settings.INBOUND_MAIL_MAX_BYTES, hostname=settings.REPLY_DOMAIN)

    server = loop.run_until_complete(loop.create_server(connection, host=host, port=port))
    for stop in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(stop, loop.stop)
    if ready is not None:
        ready(server.sockets[0].getsockname()[1])
    try:
        loop.run_forever()
    finally:
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()
